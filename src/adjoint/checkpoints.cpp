// Observations, the TS trajectory, and checkpoints in RAM or in an HDF5 file.
#include <unistd.h>  // getpid

#include <algorithm>
#include <cmath>
#include <string>

#include "integrator_impl.hpp"
#include "udeflow/core/log.hpp"

namespace udeflow::adjoint {

PetscErrorCode Integrator::Impl::ObserveAt(PetscInt k, PetscReal t, Vec u) {
  PetscFunctionBeginUser;
  // NaN propagates through the 2-norm; blow-up shows in the max norm.
  PetscReal n2, nmax;
  PetscCall(VecNorm(u, NORM_2, &n2));
  PetscCall(VecNorm(u, NORM_INFINITY, &nmax));
  PetscCheck(std::isfinite(n2) && nmax <= self->diverge_limit_, comm, PETSC_ERR_NOT_CONVERGED,
             "forward solve diverged: max|u| = %g at t = %g (observation %" PetscInt_FMT
             "); reduce the time step (-ts_dt) or check the closure",
             (double)(std::isfinite(n2) ? nmax : n2), (double)t, k);
  PetscReal l = 0;
  PetscCall(observer->Observe(k, t, u, &l, want_grad ? dldu[k] : nullptr));
  PetscCheck(std::isfinite(l), comm, PETSC_ERR_NOT_CONVERGED,
             "forward solve diverged: the state is not finite at t = %g (observation %" PetscInt_FMT
             "); reduce the time step (-ts_dt) or check the closure",
             (double)t, k);
  loss += l;
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::EnableTrajectory(TS ts) {
  PetscFunctionBeginUser;
  PetscCall(TSRemoveTrajectory(ts));
  PetscCall(TSSetSaveTrajectory(ts));
  TSTrajectory tj;
  PetscCall(TSGetTrajectory(ts, &tj));
  PetscCall(TSTrajectorySetType(tj, ts, TSTRAJECTORYMEMORY));
  PetscCall(TSTrajectorySetSolutionOnly(tj, PETSC_FALSE));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::OpenDiskFile() {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  long pid = rank == 0 ? static_cast<long>(getpid()) : 0;
  PetscCallMPI(MPI_Bcast(&pid, 1, MPI_LONG, 0, comm));
  const std::string path = self->checkpoint_dir_ + "/udeflow-checkpoints-" + std::to_string(pid) +
                           "-" + std::to_string(disk_count++) + ".h5";
  PetscCall(io::H5File::Create(comm, path, &disk));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::WriteDisk(PetscInt step, Vec u) {
  PetscFunctionBeginUser;
  PetscInt n, lo, hi;
  PetscCall(VecGetSize(u, &n));
  PetscCall(VecGetOwnershipRange(u, &lo, &hi));
  const std::string name = "/c" + std::to_string(step);
  PetscCall(disk.CreateDataset(name, {(hsize_t)n}));
  const PetscScalar* a;
  PetscCall(VecGetArrayRead(u, &a));
  PetscCall(disk.WriteSlab(name, {(hsize_t)lo}, {(hsize_t)(hi - lo)}, a));
  PetscCall(VecRestoreArrayRead(u, &a));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::ReadDisk(PetscInt step, Vec u) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::checkpoint_io, 0, 0, 0, 0));
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(u, &lo, &hi));
  PetscScalar* a;
  PetscCall(VecGetArray(u, &a));
  PetscCall(disk.ReadSlab("/c" + std::to_string(step), {(hsize_t)lo}, {(hsize_t)(hi - lo)}, a));
  PetscCall(VecRestoreArray(u, &a));
  PetscCall(PetscLogEventEnd(LogEvents::checkpoint_io, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::StoreCheckpoint(PetscInt step, Vec u) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::checkpoint_io, 0, 0, 0, 0));
  PetscInt lo, hi;
  PetscCall(VecGetOwnershipRange(u, &lo, &hi));
  IntegratorStats& st = self->stats_;
  if (ckpt_to_disk) {  // the disk level of the two-level binomial schedule
    PetscCall(WriteDisk(step, u));
    st.disk_checkpoints++;
    PetscCall(PetscLogEventEnd(LogEvents::checkpoint_io, 0, 0, 0, 0));
    PetscFunctionReturn(0);
  }
  if (self->mode_ == MemoryMode::kDisk) {
    PetscCall(WriteDisk(step, u));
  } else {
    PetscCheck(!ram.count(step), comm, PETSC_ERR_PLIB, "checkpoint at step %" PetscInt_FMT " twice",
               step);
    Vec c;
    if (!spare.empty()) {
      c = spare.back();
      spare.pop_back();
    } else {
      PetscCall(VecDuplicate(u, &c));
      pool.push_back(c);
    }
    PetscCall(VecCopy(u, c));
    ram[step] = c;
  }
  st.checkpoints++;
  live_ckpts++;
  st.peak_checkpoints = std::max(st.peak_checkpoints, live_ckpts);
  st.checkpoint_bytes = st.peak_checkpoints * (double)(hi - lo) * sizeof(PetscScalar);
  PetscCall(PetscLogEventEnd(LogEvents::checkpoint_io, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::LoadCheckpoint(PetscInt step, Vec u) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::checkpoint_io, 0, 0, 0, 0));
  if (self->mode_ == MemoryMode::kDisk) {
    PetscCall(ReadDisk(step, u));
  } else {
    auto it = ram.find(step);
    PetscCheck(it != ram.end(), comm, PETSC_ERR_PLIB, "missing checkpoint at step %" PetscInt_FMT,
               step);
    PetscCall(VecCopy(it->second, u));
  }
  PetscCall(PetscLogEventEnd(LogEvents::checkpoint_io, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::FreeCheckpoint(PetscInt step) {
  PetscFunctionBeginUser;
  auto it = ram.find(step);
  PetscCheck(it != ram.end(), comm, PETSC_ERR_PLIB, "no checkpoint to free at step %" PetscInt_FMT,
             step);
  spare.push_back(it->second);
  ram.erase(it);
  live_ckpts--;
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::ClearCheckpoints() {
  PetscFunctionBeginUser;
  ram.clear();
  spare = pool;
  live_ckpts = 0;
  ckpt_to_disk = false;
  if (disk.IsOpen()) PetscCall(disk.Close());  // never committed: the file is removed
  PetscFunctionReturn(0);
}

PetscErrorCode Integrator::Impl::BeginCaching(PetscInt steps) {
  PetscFunctionBeginUser;
  caching = false;
  const double bytes = phys->CacheBytesPerSlot() * stages * steps;
  if (stages > 0 && bytes > 0 && bytes <= self->cache_mb_ * 1048576.0) {
    PetscCall(phys->ResetCache(stages * steps));
    caching = true;
  }
  PetscFunctionReturn(0);
}

}  // namespace udeflow::adjoint
