# ParaView Catalyst pipeline (legacy Python API) for udeflow:
#   mpiexec -n 4 udeflow generate -options_file cases/<case>.yaml -catalyst_script scripts/catalyst/slice_png.py \
#       -catalyst_every 20 -catalyst_output results/<case>/catalyst
# At every step Catalyst is called for, each rank's piece of the field (vtkImageData,
# cell data) is reduced onto rank 0 as one plane -- the middle z-slice of a 3-D grid,
# the whole of a 2-D grid, the line of a 1-D grid -- and rank 0 draws it with matplotlib
# (headless, no OpenGL or X display needed): an image with contour lines for 2-D/3-D, a
# profile for 1-D.  One PNG per field and step: <output>/<run>_<field>_<step>.png.
# Options through the environment: UDEFLOW_CATALYST_FIELDS (comma list; default all),
# UDEFLOW_CATALYST_CONTOURS (number of contour levels, default 8; 0: none).
import os

import numpy as np
from vtkmodules.util import numpy_support
from vtkmodules.vtkCommonCore import vtkDoubleArray
from vtkmodules.vtkParallelCore import vtkCommunicator, vtkMultiProcessController


def RequestDataDescription(datadescription):
    inp = datadescription.GetInputDescriptionByName("input")
    inp.AllFieldsOn()
    inp.GenerateMeshOn()


def _user_string(datadescription, name, default):
    data = datadescription.GetUserData()
    arr = data.GetAbstractArray(name) if data is not None else None
    return arr.GetValue(0) if arr is not None and arr.GetNumberOfValues() > 0 else default


def _plane(grid, whole, name):
    """This rank's cells of the plotted plane, in a zero array of the full plane (ny, nx)."""
    e = grid.GetExtent()  # point extent of the piece; cells [e0, e1) etc.
    nx, ny, nz = whole[1] - whole[0], max(whole[3] - whole[2], 1), max(whole[5] - whole[4], 1)
    mx, my, mz = e[1] - e[0], max(e[3] - e[2], 1), max(e[5] - e[4], 1)
    values = numpy_support.vtk_to_numpy(grid.GetCellData().GetArray(name)).reshape(mz, my, mx)
    plane = np.zeros((ny, nx))
    k = nz // 2  # middle z-plane (0 for 1-D and 2-D grids)
    if e[4] <= k < e[4] + mz:
        plane[e[2]:e[2] + my, e[0]:e[0] + mx] = values[k - e[4]]
    return plane


def DoCoProcessing(datadescription):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inp = datadescription.GetInputDescriptionByName("input")
    grid = inp.GetGrid()
    whole = inp.GetWholeExtent()
    controller = vtkMultiProcessController.GetGlobalController()
    rank = controller.GetLocalProcessId() if controller else 0
    step = datadescription.GetTimeStep()
    time = datadescription.GetTime()
    run = _user_string(datadescription, "run", "run")
    output = _user_string(datadescription, "output", ".")
    wanted = os.environ.get("UDEFLOW_CATALYST_FIELDS", "")
    levels = int(os.environ.get("UDEFLOW_CATALYST_CONTOURS", "8"))
    cd = grid.GetCellData()
    names = [cd.GetArrayName(i) for i in range(cd.GetNumberOfArrays())]
    if wanted:
        names = [n for n in names if n in wanted.split(",")]
    origin, spacing = grid.GetOrigin(), grid.GetSpacing()
    dim = 1 + (whole[3] > whole[2]) + (whole[5] > whole[4])
    for name in names:
        local = _plane(grid, whole, name)
        send = numpy_support.numpy_to_vtk(local.ravel(), deep=1, array_type=numpy_support.get_vtk_array_type(np.float64))
        full = vtkDoubleArray()
        if controller and controller.GetNumberOfProcesses() > 1:
            controller.Reduce(send, full, vtkCommunicator.SUM_OP, 0)
        else:
            full.DeepCopy(send)
        if rank != 0:
            continue
        plane = numpy_support.vtk_to_numpy(full).reshape(local.shape)
        fig, ax = plt.subplots(figsize=(6, 4) if dim > 1 else (6, 3), dpi=100)
        x0, dx, y0, dy = origin[0], spacing[0], origin[1], spacing[1]
        nx, ny = plane.shape[1], plane.shape[0]
        if dim == 1:
            x = x0 + dx * (np.arange(nx) + 0.5)
            ax.plot(x, plane[0], lw=1.2)
            ax.set_xlabel("x")
            ax.set_ylabel(name)
        else:
            extent = [x0, x0 + nx * dx, y0, y0 + ny * dy]
            im = ax.imshow(plane, origin="lower", extent=extent, aspect="auto", cmap="viridis")
            fig.colorbar(im, ax=ax, label=name)
            if levels > 0 and np.ptp(plane) > 0:
                xc = x0 + dx * (np.arange(nx) + 0.5)
                yc = y0 + dy * (np.arange(ny) + 0.5)
                ax.contour(xc, yc, plane, levels=levels, colors="k", linewidths=0.5)
            ax.set_xlabel("x")
            ax.set_ylabel("y")
        where = " (middle z-slice)" if dim == 3 else ""
        ax.set_title("%s  %s%s  step %d  t = %.4g" % (run, name, where, step, time))
        fig.tight_layout()
        os.makedirs(output, exist_ok=True)
        fig.savefig(os.path.join(output, "%s_%s_%06d.png" % (run, name, step)))
        plt.close(fig)
