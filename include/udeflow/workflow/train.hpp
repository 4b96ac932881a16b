#pragma once
/// \file train.hpp
/// `udeflow train`: fits the closure of the case's physics to the dataset.
///
///  1. the paths (-output_dir, -dataset, -model, -train_checkpoint), the rank groups
///     (-train_groups), the physics and the integrator of the case, the trainer;
///  2. with -train_mode offline|both: the offline fit of the closure to the fluxes the
///     data imply (no solver; Physics::AppendOfflineSamples), written to -model
///     (offline) or -train_offline_model (both);
///  3. with -train_mode online|both: training through the solver (train::Trainer), with
///     snapshots of the model during training (-train_snapshots_every, Catalyst), the
///     training state (resume) and train_history.csv next to the checkpoint;
///  4. the model file and what the closure learned (Physics::ReportLearned).
/// A run holds a lock on its training state (one run at a time per output directory).
#include <petscsys.h>

#include "udeflow/train/trainer.hpp"

namespace udeflow::workflow {

/// Runs the steps above with the options of the case; `result` is the online training's
/// (or the offline fit's with -train_mode offline).  Collective.
PetscErrorCode TrainCase(MPI_Comm comm, train::TrainResult* result);

}  // namespace udeflow::workflow
