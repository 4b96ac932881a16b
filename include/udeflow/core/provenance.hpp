#pragma once
/// \file provenance.hpp
/// What determines a result, so that a figure can be traced to its run: the sources
/// (version, git commit, whether the tree had uncommitted changes), the build (compiler,
/// flags, instruction set, library versions) and the run (command line, every option in
/// effect after the case file, rank count, library threads, CPU).
///
/// `udeflow --version` prints the build facts; every HDF5 file udeflow writes carries
/// them as root attributes named udeflow_* (io::H5File::Commit), text outputs (CSV
/// histories, XDMF) as a comment header, and each command prints ProvenanceSummary() as
/// its first line.
///
/// Bit-for-bit reproducibility holds for the same build on the same kind of CPU: the
/// instruction set (-march=native by default) and the cache sizes Eigen blocks its
/// products by are part of what determines the last bits; both are recorded.
#include <petscsys.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace udeflow {

/// Facts fixed when udeflow was built (generated at build time).
struct BuildFacts {
  const char* version;       ///< project version, e.g. "0.1.0"
  const char* git_commit;    ///< full commit hash of the sources ("" outside git)
  const char* git_describe;  ///< `git describe --always --dirty --tags`
  const char* git_dirty;     ///< "yes": built with uncommitted changes; "no"; "unknown"
  const char* compiler;      ///< e.g. "GNU 12.2.0"
  const char* flags;         ///< compile flags of the library
  const char* build_type;    ///< e.g. "Release"
};
const BuildFacts& BuildInfo();

/// The SIMD instruction set the numerics were compiled for, e.g. "AVX-512F+FMA".
const char* InstructionSet();

/// Multi-line text of `udeflow --version`: version, commit, build, libraries.
std::string VersionText();

/// Facts of this run, captured at start-up (SessionInitialize) and identical on all ranks.
struct RunFacts {
  std::string command;           ///< the command line as typed (argv, shell-quoted)
  std::string options;           ///< every option in effect after the case file
  int ranks = 1;                 ///< MPI_COMM_WORLD size
  int threads = 1;               ///< threads of numerical libraries (pinned to 1 by udeflow)
  std::string thread_libraries;  ///< the threaded libraries found and pinned (may be empty)
  std::string cpu;               ///< CPU model of rank 0
  std::string started;           ///< UTC start time, ISO 8601
};
const RunFacts& RunInfo();

/// Records argv as typed (before the command name is taken out).  Not collective.
void ProvenanceRecordCommandLine(int argc, char** argv);

/// Pins the worker threads of OpenMP, OpenBLAS, MKL and BLIS to one, whatever the
/// user's environment says: a reduction split over a varying number of threads would
/// change the last bits of a result.  Call before PetscInitialize; not collective.
void PinLibraryThreads();

/// Completes RunInfo() after PETSc is up: options, rank count, CPU, start time
/// (rank 0's values are broadcast).  Collective on PETSC_COMM_WORLD.
PetscErrorCode ProvenanceCapture();

/// One line for the start of a log: version, commit, ranks x threads, instruction set.
std::string ProvenanceSummary();

/// (name, value) pairs written as root attributes of every HDF5 output.
std::vector<std::pair<std::string, std::string>> ProvenanceAttributes();

/// The same facts as comment lines, each starting with `prefix` (e.g. "# " for CSV).
std::string ProvenanceComment(const char* prefix);

/// What differs between the run that wrote a file (its udeflow_* attributes, as read by
/// `get`: name -> value, "" when absent) and this one, among the facts that decide the
/// last bits: commit, build, CPU, rank count.  Empty when nothing differs or the file has
/// no provenance.  Used to warn when a resume or evaluation cannot be bit-identical.
std::string ProvenanceDifferences(const std::function<std::string(const char*)>& get);

}  // namespace udeflow
