#pragma once
/// \file case.hpp
/// What every command of a case shares: where its files go.
///
/// Options: -output_dir (default results/<case>, see CaseName()), -dataset (default
/// <output_dir>/dataset.h5), -model (default <output_dir>/model.h5), -train_checkpoint (default
/// <output_dir>/train_state.h5).
#include <petscsys.h>

#include <string>

namespace udeflow::workflow {

struct CasePaths {
  std::string output_dir;  ///< empty: DefaultOutputDir()
  std::string dataset, model, checkpoint;
};

/// The case's name: the first -options_file's base name without extension
/// (cases/burgers.yaml -> burgers); without a case file, the -physics (bsde: -bsde_equation)
/// given, else the command's default one.  Not collective (identical on all ranks).
std::string CaseName();

/// results/<CaseName()>: every command's default -output_dir, so that cases do not
/// overwrite each other.
std::string DefaultOutputDir();

/// Puts -output_dir DefaultOutputDir() into the options database unless it is set, for
/// code that reads -output_dir with a default of its own (udeflow bsde).
PetscErrorCode SetDefaultOutputDir();

/// Reads the path options and creates the output directory (not with -help).  Collective.
PetscErrorCode CasePathsFromOptions(MPI_Comm comm, CasePaths* paths);

/// Creates a directory (and parents) on rank 0; a failure names the option.  Collective.
PetscErrorCode MakeDirectory(MPI_Comm comm, const std::string& dir, const char* what);

}  // namespace udeflow::workflow
