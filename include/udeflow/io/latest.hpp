#pragma once
/// \file latest.hpp
/// `-train_resume latest` / `-bsde_resume latest`: the newest training checkpoint of an
/// output directory, so that a requeued batch job continues where it was stopped and
/// a first run starts fresh with the same command line.
#include <petscsys.h>

#include <string>

namespace udeflow::io {

/// If `value` is "latest", sets *path to the newest file "<dir>/<stem>*.h5" (by
/// modification time; files still being written, *.partial, are ignored) or to ""
/// when there is none; otherwise *path = value.  Collective: rank 0 looks, all agree.
PetscErrorCode ResolveResume(MPI_Comm comm, const std::string& value, const std::string& dir,
                             const std::string& stem, std::string* path);

/// An exclusive lock on "<path>.lock" held while a run writes the training state at
/// `path`: a second run on the same state (a requeued job whose predecessor still runs,
/// a command typed twice) is refused instead of both overwriting each other's
/// checkpoints.  The kernel drops the lock when the holder ends, however it ends (a
/// SIGKILL included), so a stale lock file never blocks a resume.
class RunLock {
 public:
  RunLock() = default;
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  /// Takes the lock (rank 0).  Held by another process: a user error naming `what`, the
  /// path and that process.  A lock this process already holds is taken again (a
  /// command's steps may each lock the directory they write).  Collective.
  PetscErrorCode Acquire(MPI_Comm comm, const std::string& path, const char* what);
  /// The lock of an output directory ("<dir>/.udeflow.lock"), taken by every command
  /// that writes into it (generate, train, evaluate, bsde, diagnose, discover) once its
  /// inputs are checked: two runs writing the same directory would overwrite each
  /// other's files.  Collective.
  PetscErrorCode AcquireDirectory(MPI_Comm comm, const std::string& dir, const char* what);

 private:
  int fd_ = -1;
  std::string path_;  // the lock file this object holds (rank 0), "" if none
  PetscErrorCode Take(MPI_Comm comm, const std::string& lock, const std::string& shown,
                      const char* what);
};

}  // namespace udeflow::io
