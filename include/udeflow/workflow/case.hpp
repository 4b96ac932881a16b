#pragma once
/// \file case.hpp
/// What every command of a case shares: where its files go.
///
/// Options: -output_dir (default "results"), -dataset (default <output_dir>/dataset.h5),
/// -model (default <output_dir>/model.h5), -train_checkpoint (default
/// <output_dir>/train_state.h5).
#include <petscsys.h>

#include <string>

namespace udeflow::workflow {

struct CasePaths {
  std::string output_dir = "results";
  std::string dataset, model, checkpoint;
};

/// Reads the path options and creates the output directory.  Collective.
PetscErrorCode CasePathsFromOptions(MPI_Comm comm, CasePaths* paths);

/// Creates a directory (and parents) on rank 0; a failure names the option.  Collective.
PetscErrorCode MakeDirectory(MPI_Comm comm, const std::string& dir, const char* what);

}  // namespace udeflow::workflow
