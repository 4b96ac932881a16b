#pragma once
/// \file offline.hpp
/// Offline ("fit the flux") training of a column flux network, the baseline of Ramadhan
/// et al. 2020 that online training through the solver is compared with.
///
/// From each pair of consecutive coarse-grained truth snapshots (T^k, T^k+1) of the
/// training trajectories the total face flux is diagnosed by integrating the tendency up
/// from the no-flux bottom, F_{f+1} = F_f - dz (T^{k+1}_f - T^k_f)/dt, the flux of the
/// physics without network (convective adjustment + background) at the mid state
/// Tm = (T^k + T^k+1)/2 is subtracted, and the network is fitted to the residual,
/// NN((Tm - T_offset)/T_scale) ~ (F - F_CA(Tm))/flux_scale, by Adam on random minibatches
/// (mean squared error over the Nz-1 interior faces).  No solver is involved.
///
/// Options (prefix -train_offline_): iterations, batch, lr, lr_final (exponential decay
/// to it), seed, monitor_every.
#include "udeflow/io/dataset.hpp"
#include "udeflow/pde/physics.hpp"
#include "udeflow/train/trainer.hpp"

namespace udeflow::train {

struct OfflineConfig {
  PetscInt iterations = 3000, batch = 256, seed = 1, monitor_every = 200;
  PetscReal lr = 1e-3, lr_final = 1e-5;
};
/// Reads the -train_offline_* options (listed by -help).  Collective.
PetscErrorCode OfflineConfigFromOptions(MPI_Comm comm, OfflineConfig* config);

/// Fits the network of `physics` (an ocean_column with a closure) to the diagnosed flux
/// residuals of the training trajectories of `data`; result->theta holds the fit, which
/// is also set in the physics.  Collective.
PetscErrorCode TrainOffline(MPI_Comm comm, const OfflineConfig& config, pde::Physics* physics,
                            const io::Dataset& data, TrainResult* result);

}  // namespace udeflow::train
