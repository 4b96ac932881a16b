#pragma once
/// \file generate.hpp
/// `udeflow generate`: integrates the truth model for every train and test scenario
/// and writes the trajectory dataset (HDF5 + XDMF).
///
/// The truth is a Physics read with the prefix "truth_" (-truth_physics,
/// -truth_burgers_n, ...; its TS options are -truth_ts_*).  Options:
///   -generate_train_seeds 1,2,3   scenarios used for training
///   -generate_test_seeds 101,102  held-out scenarios
///   -generate_spinup T            time integrated before the first snapshot
///   -generate_duration T          recorded time span
///   -generate_dt_save dt          time between snapshots
#include <petscsys.h>

namespace udeflow::workflow {

/// Collective on comm.
PetscErrorCode GenerateDataset(MPI_Comm comm);

}  // namespace udeflow::workflow
