#pragma once
/// \file history.hpp
/// The training history of `udeflow train`: one row per iteration (iteration, phase
/// adam|lbfgs|lm, loss, gradient norm, learning rate, window or shooting horizon, seconds), written
/// as CSV next to the training checkpoint (train_history.csv) whenever the checkpoint is written,
/// and read back on resume so that the file always covers the whole run.  For
/// scripts/plot/loss_history.py.
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow::train {

class TrainHistory {
 public:
  struct Row {
    long long iteration;
    double loss, gnorm, lr;
    long long window;
    double seconds;
    long long phase;  ///< kAdam, kLbfgs or kLm (Levenberg-Marquardt: the lr column is its damping)
  };
  static constexpr long long kAdam = 0, kLbfgs = 1, kLm = 2;
  static const char* PhaseName(long long phase) {
    return phase == kLbfgs ? "lbfgs" : phase == kLm ? "lm" : "adam";
  }
  void Add(const Row& r) { rows_.push_back(r); }
  /// Rows with iteration < `end` to `path` (rank 0 writes; atomic rename).  Collective.
  PetscErrorCode Write(MPI_Comm comm, const std::string& path, long long end) const;
  /// Rows with iteration < `end` from `path` if it exists (a missing file is not an
  /// error: the history starts at the resumed iteration).  Collective.
  PetscErrorCode Read(MPI_Comm comm, const std::string& path, long long end);
  const std::vector<Row>& Rows() const { return rows_; }
  /// <directory of checkpoint>/train_history.csv
  static std::string PathFor(const std::string& checkpoint);

 private:
  std::vector<Row> rows_;
};

}  // namespace udeflow::train
