#pragma once
/// \file evaluation_log.hpp
/// The objective evaluations of a TAO solve, appended to a file as they happen, so that a
/// killed run can resume bit for bit.
///
/// Why a log: TAO's state (the L-BFGS memory, the line search's bracket, its counters and
/// relative tolerances) cannot be saved or restored through PETSc's interface.  It is,
/// however, a deterministic function of the starting point and of the values the
/// objective returned.  A resumed run therefore restarts TAO from the same starting
/// point and answers its first N objective calls from the log (checking that TAO asks at
/// the very same points, by a hash of x) instead of solving the PDEs again: TAO is then
/// in exactly the state it had when the checkpoint was written, and continues.  Replaying
/// costs only TAO's own vector algebra.
///
/// File (rank 0 writes and reads): 16-byte magic "udeflow-taolog1", int64 P, then one
/// record per evaluation: uint64 hash of x, double f, double g[P].  Records are flushed
/// as written and synced before a checkpoint names their count; records beyond the count
/// of the checkpoint being resumed (written after it, or cut by a kill) are dropped.
#include <petscsys.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace udeflow::train {

/// 64-bit FNV-1a hash of the bytes of n doubles (identity of a parameter vector).
uint64_t HashDoubles(const double* x, size_t n);

class EvaluationLog {
 public:
  EvaluationLog() = default;
  ~EvaluationLog();
  EvaluationLog(const EvaluationLog&) = delete;
  EvaluationLog& operator=(const EvaluationLog&) = delete;

  /// Starts a new log at `path` for P parameters (truncating an old one).  Collective.
  PetscErrorCode Create(MPI_Comm comm, const std::string& path, PetscInt P);
  /// Resumes from the log `from` of a checkpointed solve: its first `count` records are
  /// replayed (Replay()) and kept, later ones dropped; new records go to `path` (which may
  /// be `from`: it is then cut after the replayed records).  A missing, short or foreign
  /// log is an error naming `what`.  Collective.
  PetscErrorCode Resume(MPI_Comm comm, const std::string& from, const std::string& path, PetscInt P,
                        long long count, const char* what);

  /// True while recorded evaluations remain to be replayed.
  bool Replaying() const { return next_ < replay_count_; }
  /// The next recorded evaluation: checks that it was taken at x (hash, rank 0) and
  /// returns f (every rank) and g (rank 0; length P).  Collective.
  PetscErrorCode Replay(const double* x, double* f, double* g);
  /// Appends an evaluation (rank 0 writes; x and g are read on rank 0).  Collective.
  PetscErrorCode Append(const double* x, double f, const double* g);
  /// Forces the records to the file system (before a checkpoint names Count()).
  PetscErrorCode Sync();
  /// Evaluations in the log (replayed + appended).
  long long Count() const { return count_; }
  const std::string& Path() const { return path_; }

 private:
  PetscErrorCode Close();
  PetscErrorCode FinishReplay();
  MPI_Comm comm_ = MPI_COMM_NULL;
  std::string path_;
  std::string from_;
  std::FILE* fp_ = nullptr;       // rank 0: the log being written
  std::FILE* from_fp_ = nullptr;  // rank 0: the log being replayed, when another file
  PetscInt P_ = 0;
  long long count_ = 0, next_ = 0, replay_count_ = 0;
  std::vector<double> record_;  // rank 0: one record's f and g
};

}  // namespace udeflow::train
