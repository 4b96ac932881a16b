#pragma once
/// \file model_file.hpp
/// Trained parameters on disk (model.h5): theta with the physics type and a description
/// of the physics and closure, written atomically; read back with checks that the file
/// fits the case.
#include <petscsys.h>

#include <string>
#include <vector>

#include "udeflow/core/aligned.hpp"
#include "udeflow/pde/physics.hpp"

namespace udeflow::train {

/// Saves theta with a description of the physics and closure (HDF5, atomic).
PetscErrorCode SaveModel(MPI_Comm comm, const std::string& path, pde::Physics& physics,
                         const std::vector<double>& theta, long long iterations, double loss);
/// Loads theta saved by SaveModel into `theta` (the caller owns it) and binds `physics` to
/// it, checking that it fits.  `what` names the option for errors.
PetscErrorCode LoadModel(MPI_Comm comm, const std::string& path, const char* what,
                         pde::Physics& physics, AlignedVector<double>* theta);

/// Writes what the physics reported about its learned closure (Physics::ReportLearned) to
/// `path` (HDF5, atomic) and says so; nothing when the report is empty.  Collective.
PetscErrorCode WriteLearnedReport(MPI_Comm comm, const std::string& path,
                                  const pde::Physics::LearnedReport& report);

}  // namespace udeflow::train
