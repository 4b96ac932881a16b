// Uses the installed library: an MLP forward pass (pure kernel) and parallel HDF5
// (udeflow::io) under PETSc, so headers, the static library and its dependencies
// (PETSc, MPI, HDF5, Eigen) all have to come through find_package(udeflow).
#include <petscsys.h>

#include <cstdio>

#include "udeflow/config.hpp"
#include "udeflow/io/hdf5.hpp"
#include "udeflow/nn/mlp.hpp"

int main(int argc, char** argv) {
  PetscCall(PetscInitialize(&argc, &argv, nullptr, nullptr));
  udeflow::io::H5File f;
  PetscCall(udeflow::io::H5File::Create(PETSC_COMM_WORLD, "consumer.h5", &f));
  const double x[3] = {1, 2, 3};
  PetscCall(f.WriteArray("/x", {3}, x));
  PetscCall(f.Commit());
  std::vector<hsize_t> dims;
  std::vector<double> y;
  udeflow::io::H5File g;
  PetscCall(udeflow::io::H5File::Open(PETSC_COMM_WORLD, "consumer.h5", "test", &g));
  PetscCall(g.ReadArray("/x", &dims, &y));
  PetscCheck(y.size() == 3 && y[2] == 3.0, PETSC_COMM_WORLD, PETSC_ERR_PLIB,
             "read back wrong values");
  udeflow::nn::Mlp net({2, 4, 1}, udeflow::nn::Activation::kTanh);
  PetscCheck(net.NumParams() == 2 * 4 + 4 + 4 + 1, PETSC_COMM_WORLD, PETSC_ERR_PLIB,
             "wrong MLP size");
  PetscCall(PetscPrintf(PETSC_COMM_WORLD,
                        "consumer: udeflow %s, HDF5 round trip ok, MLP with %d parameters\n",
                        UDEFLOW_VERSION, net.NumParams()));
  PetscCall(PetscFinalize());
  return 0;
}
