"""Makes broken copies of a valid udeflow dataset for the command-line error tests."""
import shutil
import sys

import h5py
import numpy as np

src, outdir = sys.argv[1], sys.argv[2]
variants = {
    "nan": lambda f: f["traj_0000/state"].__setitem__((3, 5), np.nan),
    "fields": lambda f: f.attrs.__setitem__("fields", np.bytes_("u")),
    "physics": lambda f: f.attrs.__setitem__("physics", np.bytes_("advection")),
}
for name, edit in variants.items():
    dst = f"{outdir}/bad_{name}.h5"
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        edit(f)
with open(f"{outdir}/not_hdf5.h5", "w") as f:
    f.write("this is not HDF5\n")
