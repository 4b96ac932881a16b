"""Checks the Catalyst pieces written by test_fields.cpp (CatalystPieces2DAnd3D): for the
2-D (two fields, origin -3, 1) and 3-D (ocean box, origin z = -600 m) grids, every .pvti
has one piece per rank, the whole extent of the grid, the geometry of the case, and cell
values equal to the formula set on each rank (so the zero-copy/strided hand-over keeps
VTK's cell order).  Usage: /usr/bin/python3 check_catalyst_nd.py <dir> <ranks>"""
import os
import re
import sys

try:
    import numpy as np
    from vtkmodules.util import numpy_support
    from vtkmodules.vtkIOXML import vtkXMLPImageDataReader
except ImportError as e:
    print("SKIP: needs VTK's Python modules (python3-paraview):", e)
    sys.exit(77)


def value(i, j, k, c, f):
    return 1000.0 * c + 100.0 * k + 10.0 * j + i + 0.25 * f + 0.001 * i * j


d, ranks = sys.argv[1], int(sys.argv[2])
cases = [("grid2d", (12, 7, 1), (-3.0, 1.0, 0.0), (0.5, 0.5), ["prey", "predator"]),
         ("grid3d", (5, 4, 6), (0.0, 0.0, -600.0), (1000.0, 1000.0, 100.0), ["T"])]
for run, (M, N, P), origin, spacing, fields in cases:
    for step in (0, 2):
        path = os.path.join(d, "%s_%06d.pvti" % (run, step))
        text = open(path).read()
        assert len(re.findall("<Piece ", text)) == ranks, path
        whole = "0 %d 0 %d 0 %d" % (M, N, P if P > 1 else 0)
        assert 'WholeExtent="%s"' % whole in text, (path, whole)
        r = vtkXMLPImageDataReader()
        r.SetFileName(path)
        r.Update()
        img = r.GetOutput()
        assert img.GetNumberOfCells() == M * N * P, img.GetNumberOfCells()
        for a in range(len(spacing)):
            assert abs(img.GetOrigin()[a] - origin[a]) < 1e-12 and abs(img.GetSpacing()[a] - spacing[a]) < 1e-12, (
                img.GetOrigin(), img.GetSpacing())
        k, j, i = np.meshgrid(np.arange(P), np.arange(N), np.arange(M), indexing="ij")
        for c, name in enumerate(fields):
            got = numpy_support.vtk_to_numpy(img.GetCellData().GetArray(name))
            err = np.abs(got - value(i, j, k, c, step).ravel()).max()
            assert err == 0.0, (path, name, err)
    assert not os.path.exists(os.path.join(d, "%s_%06d.pvti" % (run, 1))), "step 1 is not a multiple of 2"
    print("ok:", run, "cells", (M, N, P), "pieces", ranks)
