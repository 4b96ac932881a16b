#pragma once
/// \file case.hpp
/// What every command of a case shares: where its files go, and the physics of the
/// model and of the truth.
///
/// Options: -output_dir (default "results"), -dataset (default <output_dir>/dataset.h5),
/// -model (default <output_dir>/model.h5), -train_checkpoint (default
/// <output_dir>/train_state.h5).
#include <petscsys.h>

#include <memory>
#include <string>
#include <vector>

#include "udeflow/core/aligned.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::train {

struct CasePaths {
  std::string output_dir = "results";
  std::string dataset, model, checkpoint;
};

/// Reads the path options and creates the output directory.  Collective.
PetscErrorCode CasePathsFromOptions(MPI_Comm comm, CasePaths* paths);

/// Creates a directory (and parents) on rank 0; a failure names the option.  Collective.
PetscErrorCode MakeDirectory(MPI_Comm comm, const std::string& dir, const char* what);

/// Saves theta with a description of the physics and closure (HDF5, atomic).
PetscErrorCode SaveModel(MPI_Comm comm, const std::string& path, pde::Physics& physics, const std::vector<double>& theta,
                         long long iterations, double loss);
/// Reads theta saved by SaveModel into *theta, checking that it fits `physics`, and binds
/// the physics to it (*theta must outlive the physics' use).  `what` names the option
/// for errors.
PetscErrorCode LoadModel(MPI_Comm comm, const std::string& path, const char* what, pde::Physics& physics,
                         AlignedVector<double>* theta);

/// Pseudo-random integer in [0, n) keyed by (seed, a, b) (counter-based).
uint64_t KeyedIndex(uint64_t seed, uint64_t a, uint64_t b, uint64_t n);

}  // namespace udeflow::train
