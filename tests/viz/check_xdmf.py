"""Opens udeflow's XDMF files with ParaView's own XDMF reader (run by pvbatch) and checks
grid geometry and values against the formula of test_fields.cpp.
Usage: pvbatch check_xdmf.py <dir> <suffix>   (exit 77: ParaView's Python not usable)
       pvbatch check_xdmf.py dataset <dataset.xmf> <dataset.h5>   (a 1-D trajectory dataset)"""
import os
import sys

try:
    from paraview import servermanager
    from paraview.simple import XDMFReader
    from vtkmodules.util import numpy_support
    import numpy as np
except Exception as e:  # pragma: no cover
    print("SKIP: ParaView Python not usable:", e)
    sys.exit(77)


def value(i, j, k, c, f):
    return 1000.0 * c + 100.0 * k + 10.0 * j + i + 0.25 * f + 0.001 * i * j


def check(xmf, cells, origin, length, fields):
    reader = XDMFReader(FileNames=[xmf])
    times = list(reader.TimestepValues)
    assert times == [0.0, 0.5, 1.0], times
    M, N, P = (list(cells) + [1, 1])[:3]
    for f, t in enumerate(times):
        reader.UpdatePipeline(t)
        data = servermanager.Fetch(reader)
        while data.IsA("vtkMultiBlockDataSet"):
            data = data.GetBlock(0)
        assert data.GetNumberOfCells() == M * N * P, (data.GetNumberOfCells(), M * N * P)
        b = data.GetBounds()
        for d in range(len(cells)):
            lo, hi = b[2 * d], b[2 * d + 1]
            assert abs(lo - origin[d]) < 1e-9 * (1 + abs(origin[d])), (d, lo, origin[d])
            assert abs(hi - origin[d] - length[d]) < 1e-9 * (1 + abs(length[d])), (d, hi, length[d])
        k, j, i = np.meshgrid(np.arange(P), np.arange(N), np.arange(M), indexing="ij")
        for c, name in enumerate(fields):
            arr = data.GetCellData().GetArray(name)
            assert arr is not None, "no cell array " + name
            got = numpy_support.vtk_to_numpy(arr)
            want = value(i, j, k, c, f).ravel()
            err = np.abs(got - want).max()
            assert err == 0.0, (xmf, name, f, err)
    print("ok:", xmf, "cells", cells, "bounds", data.GetBounds())


def check_dataset(xmf, h5):
    """A trajectory dataset ([nt, cells*fields] rows): every time of the first series."""
    import h5py
    f = h5py.File(h5, "r")
    state = f["traj_0000"]["state"][:]
    times = f["traj_0000"]["t"][:]
    cells = int(f.attrs["grid"].decode() if isinstance(f.attrs["grid"], bytes) else f.attrs["grid"])
    length = float(f.attrs["domain"].decode() if isinstance(f.attrs["domain"], bytes) else f.attrs["domain"])
    reader = XDMFReader(FileNames=[xmf])
    got_times = list(reader.TimestepValues)
    assert np.allclose(got_times, times, rtol=0, atol=1e-12), (got_times, times)
    for k, t in enumerate(times):
        reader.UpdatePipeline(t)
        data = servermanager.Fetch(reader)
        while data.IsA("vtkMultiBlockDataSet"):
            data = data.GetBlock(0)
        assert data.GetNumberOfCells() == cells, data.GetNumberOfCells()
        b = data.GetBounds()
        assert abs(b[0]) < 1e-12 and abs(b[1] - length) < 1e-9, b
        got = numpy_support.vtk_to_numpy(data.GetCellData().GetArray("v"))
        assert np.abs(got - state[k]).max() == 0.0, (k, np.abs(got - state[k]).max())
    print("ok:", xmf, len(times), "times, 1-D grid of", cells, "cells, bounds", b)


if len(sys.argv) > 3 and sys.argv[1] == "dataset":
    check_dataset(sys.argv[2], sys.argv[3])
    sys.exit(0)
d, suffix = sys.argv[1], sys.argv[2]
check(os.path.join(d, "fields_2d" + suffix + ".xmf"), (12, 7), (-3.0, 1.0), (6.0, 3.5), ["prey", "predator"])
check(os.path.join(d, "fields_3d" + suffix + ".xmf"), (5, 4, 6), (0.0, 0.0, -600.0), (5000.0, 4000.0, 600.0), ["T"])
