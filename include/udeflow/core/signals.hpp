#pragma once
/// \file signals.hpp
/// Graceful stop on the signals batch schedulers send before killing a job (SIGTERM,
/// SIGUSR1; Slurm `--signal`, PBS `qdel`/walltime).  A training loop arms the handlers
/// with a StopSignalGuard; the handler only sets a flag (async-signal-safe), and the
/// loop asks StopRequested() once per iteration at a safe point, which agrees on the
/// answer across ranks (one MPI_Allreduce of an int), so that every rank writes the
/// same checkpoint and leaves at the same iteration.  Outside armed regions the
/// signals keep their default action (the process terminates), and a second signal
/// while a stop is already pending terminates at once.
#include <petscsys.h>

namespace udeflow {

/// Arms the stop handlers for its lifetime (nestable).  Not thread-safe.
class StopSignalGuard {
 public:
  StopSignalGuard();
  ~StopSignalGuard();
  StopSignalGuard(const StopSignalGuard&) = delete;
  StopSignalGuard& operator=(const StopSignalGuard&) = delete;
};

/// Installs the stop handlers again if they are armed: libraries that set their own
/// handlers (PetscInitialize) would otherwise take SIGTERM/SIGUSR1 over.
void StopSignalReinstall();
/// The signal received on this rank while armed (0: none).  No communication.
int StopSignalPending();
/// True on every rank of `comm` if any rank has received a stop signal; *signal is the
/// largest signal number seen.  Collective (one small MPI_Allreduce).
PetscErrorCode StopRequested(MPI_Comm comm, bool* stop, int* signal = nullptr);
/// Forgets a received signal (tests; a resumed loop in the same process).
void StopSignalClear();
/// Name of a signal for messages ("SIGTERM").
const char* StopSignalName(int signal);

}  // namespace udeflow
