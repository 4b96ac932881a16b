"""Checks a `udeflow generate` run with ParaView Catalyst (tests/viz/CMakeLists.txt):
the built-in pipeline's .pvti/.vti pieces hold exactly the solver's state at their time
step (compared with the dataset snapshots written at the same steps), one piece per
rank with the right extents, and the Python pipeline (scripts/catalyst/slice_png.py)
wrote a non-empty PNG for every processed step.
Usage: /usr/bin/python3 check_catalyst.py <output_dir> <catalyst_dir> <ranks> <dt> <t0> <dt_save>"""
import glob
import os
import re
import sys

try:
    import h5py
    import numpy as np
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkIOXML import vtkXMLPImageDataReader
except ImportError as e:
    print("SKIP: needs h5py and VTK's Python modules (python3-paraview):", e)
    sys.exit(77)

out, cat, ranks = sys.argv[1], sys.argv[2], int(sys.argv[3])
dt, t0, dt_save = (float(x) for x in sys.argv[4:7])
ds = h5py.File(os.path.join(out, "dataset.h5"), "r")
trajs = {ds[g].attrs["name"].decode() if isinstance(ds[g].attrs["name"], bytes) else ds[g].attrs["name"]: g
         for g in ds if g.startswith("traj_")}
ncells = int(str(ds.attrs["grid"].decode() if isinstance(ds.attrs["grid"], bytes) else ds.attrs["grid"]))
compared = {name: 0 for name in trajs}
files = sorted(glob.glob(os.path.join(cat, "*.pvti")))
assert files, "no .pvti files in " + cat
for path in files:
    m = re.match(r"(.+)_(\d{6})\.pvti$", os.path.basename(path))
    run, step = m.group(1), int(m.group(2))
    assert run in trajs, (run, list(trajs))
    text = open(path).read()
    pieces = re.findall(r'<Piece Extent="([^"]+)"', text)
    assert len(pieces) == ranks, (path, pieces)
    assert 'WholeExtent="0 %d 0 0 0 0"' % ncells in text, path
    png = os.path.join(cat, "%s_v_%06d.png" % (run, step))
    assert os.path.isfile(png) and os.path.getsize(png) > 1000, "missing or empty " + png
    r = vtkXMLPImageDataReader()
    r.SetFileName(path)
    r.Update()
    img = r.GetOutput()
    v = numpy_support.vtk_to_numpy(img.GetCellData().GetArray("v"))
    assert v.shape == (ncells,), v.shape
    tv = numpy_support.vtk_to_numpy(img.GetFieldData().GetArray("TimeValue"))[0]
    t = step * dt
    assert abs(tv - t) < 1e-12, (path, tv, t)
    k = (t - t0) / dt_save
    if k > -1e-9 and abs(k - round(k)) < 1e-9:
        k = int(round(k))
        ref = ds[trajs[run]]["state"][k]
        err = np.abs(v - ref).max()
        assert err == 0.0, (path, "snapshot", k, err)
        compared[run] += 1
for run, n in compared.items():
    assert n >= 2, ("too few pieces compared with the dataset", run, n)
print("ok: %d .pvti files, %s steps compared with the dataset, PNGs present" % (len(files), compared))
