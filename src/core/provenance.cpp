#include "udeflow/core/provenance.hpp"

#include <dlfcn.h>
#include <hdf5.h>
#include <petscversion.h>

#include <Eigen/Core>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <sstream>

namespace udeflow {
namespace {

RunFacts& MutableRunInfo() {
  static RunFacts facts;
  return facts;
}

std::string ShellQuote(const char* arg) {
  const std::string s = arg;
  if (!s.empty() && s.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.compare(0, 10, "model name") == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  return "unknown";
}

std::string MpiLibrary() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING] = "";
  int len = 0;
  MPI_Get_library_version(text, &len);  // allowed before MPI_Init
  std::string s(text, static_cast<size_t>(len));
  const size_t nl = s.find_first_of("\n,");
  return nl == std::string::npos ? s : s.substr(0, nl);
}

PetscErrorCode BroadcastString(std::string* s) {
  PetscFunctionBeginUser;
  int n = static_cast<int>(s->size());
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_INT, 0, PETSC_COMM_WORLD));
  s->resize(static_cast<size_t>(n));
  if (n) PetscCallMPI(MPI_Bcast(&(*s)[0], n, MPI_CHAR, 0, PETSC_COMM_WORLD));
  PetscFunctionReturn(0);
}

}  // namespace

const char* InstructionSet() {
#if defined(__AVX512F__)
  return "AVX-512F+FMA";
#elif defined(__AVX2__) && defined(__FMA__)
  return "AVX2+FMA";
#elif defined(__AVX__)
  return "AVX";
#elif defined(__SSE4_2__)
  return "SSE4.2";
#elif defined(__SSE2__)
  return "SSE2";
#else
  return "generic";
#endif
}

std::string VersionText() {
  const BuildFacts& b = BuildInfo();
  unsigned h5maj = 0, h5min = 0, h5rel = 0;
  H5get_libversion(&h5maj, &h5min, &h5rel);
  std::ostringstream s;
  s << "udeflow " << b.version << "\n";
  s << "git commit: "
    << (b.git_commit[0] ? b.git_commit : "unknown (not built from a git checkout)");
  if (b.git_describe[0]) s << " (" << b.git_describe << ")";
  s << "\nuncommitted changes at build: " << b.git_dirty << "\n";
  s << "build: " << b.build_type << ", " << b.compiler << ", instruction set " << InstructionSet()
    << "\n";
  s << "flags: " << b.flags << "\n";
  s << "libraries: PETSc " << PETSC_VERSION_MAJOR << "." << PETSC_VERSION_MINOR << "."
    << PETSC_VERSION_SUBMINOR << ", Eigen " << EIGEN_WORLD_VERSION << "." << EIGEN_MAJOR_VERSION
    << "." << EIGEN_MINOR_VERSION << ", HDF5 " << h5maj << "." << h5min << "." << h5rel << ", "
    << MpiLibrary() << "\n";
  s << "reproducibility: the same command, build and CPU give bit-identical results; numerical "
       "library "
       "threads are pinned to 1\n";
  return s.str();
}

const RunFacts& RunInfo() {
  return MutableRunInfo();
}

void ProvenanceRecordCommandLine(int argc, char** argv) {
  std::string cmd;
  for (int i = 0; i < argc; ++i) cmd += (i ? " " : "") + ShellQuote(argv[i]);
  MutableRunInfo().command = cmd;
}

void PinLibraryThreads() {
  // Libraries loaded later (and child processes) read the environment...
  for (const char* var : {"OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS",
                          "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"})
    setenv(var, "1", 1);
  // ...the ones already loaded (PETSc's BLAS, OpenMP runtime of hypre/MUMPS) are told.
  std::string found;
  struct Setter {
    const char* symbol;
    const char* library;
  };
  for (const Setter& s :
       {Setter{"omp_set_num_threads", "OpenMP"}, Setter{"openblas_set_num_threads", "OpenBLAS"},
        Setter{"goto_set_num_threads", "GotoBLAS"}, Setter{"mkl_set_num_threads", "MKL"}}) {
    if (void* f = dlsym(RTLD_DEFAULT, s.symbol)) {
      reinterpret_cast<void (*)(int)>(f)(1);
      found += (found.empty() ? "" : ", ") + std::string(s.library);
    }
  }
  if (void* f =
          dlsym(RTLD_DEFAULT, "bli_thread_set_num_threads")) {  // BLIS takes a dim_t (64 bits)
    reinterpret_cast<void (*)(long)>(f)(1L);
    found += (found.empty() ? "" : ", ") + std::string("BLIS");
  }
  MutableRunInfo().threads = 1;
  MutableRunInfo().thread_libraries = found;
}

PetscErrorCode ProvenanceCapture() {
  PetscFunctionBeginUser;
  RunFacts& r = MutableRunInfo();
  int rank, size;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  r.ranks = size;
  if (rank == 0) {
    char* all = nullptr;
    PetscCall(PetscOptionsGetAll(nullptr, &all));
    r.options = all ? all : "";
    PetscCall(PetscFree(all));
    r.cpu = CpuModel();
    char when[32];
    const std::time_t now = std::time(nullptr);
    std::tm utc{};
    gmtime_r(&now, &utc);
    std::strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &utc);
    r.started = when;
  }
  PetscCall(BroadcastString(&r.options));
  PetscCall(BroadcastString(&r.cpu));
  PetscCall(BroadcastString(&r.started));
  PetscCall(BroadcastString(&r.command));
  PetscFunctionReturn(0);
}

std::string ProvenanceSummary() {
  const BuildFacts& b = BuildInfo();
  const RunFacts& r = RunInfo();
  std::ostringstream s;
  s << "udeflow " << b.version << " (git " << (b.git_describe[0] ? b.git_describe : "unknown")
    << ") on " << r.ranks << " rank" << (r.ranks == 1 ? "" : "s") << " x " << r.threads
    << " thread, " << InstructionSet() << ", " << r.cpu;
  return s.str();
}

std::vector<std::pair<std::string, std::string>> ProvenanceAttributes() {
  const BuildFacts& b = BuildInfo();
  const RunFacts& r = RunInfo();
  return {{"udeflow_version", b.version},
          {"udeflow_git_commit", b.git_commit},
          {"udeflow_git_describe", b.git_describe},
          {"udeflow_uncommitted_changes", b.git_dirty},
          {"udeflow_build", std::string(b.build_type) + ", " + b.compiler + ", " +
                                InstructionSet() + ", " + b.flags},
          {"udeflow_command", r.command},
          {"udeflow_options", r.options},
          {"udeflow_ranks", std::to_string(r.ranks)},
          {"udeflow_threads", std::to_string(r.threads)},
          {"udeflow_cpu", r.cpu},
          {"udeflow_started", r.started}};
}

std::string ProvenanceComment(const char* prefix) {
  std::string out;
  for (const auto& [name, value] : ProvenanceAttributes()) {
    std::string v = value;
    for (char& c : v)
      if (c == '\n' || c == '\r') c = ' ';
    out += std::string(prefix) + name.substr(8) + ": " + v + "\n";
  }
  return out;
}

std::string ProvenanceDifferences(const std::function<std::string(const char*)>& get) {
  const std::string commit = get("udeflow_git_commit");
  if (commit.empty() && get("udeflow_version").empty()) return "";  // written before provenance
  std::string out;
  auto note = [&](const char* name, const std::string& theirs, const std::string& ours) {
    if (theirs != ours)
      out += std::string(out.empty() ? "" : "; ") + name + " " + theirs + " vs " + ours + " now";
  };
  const auto attrs = ProvenanceAttributes();
  auto ours = [&](const char* name) {
    for (const auto& [n, v] : attrs)
      if (n == name) return v;
    return std::string();
  };
  note("commit", commit.substr(0, 12), ours("udeflow_git_commit").substr(0, 12));
  note("build", get("udeflow_build"), ours("udeflow_build"));
  note("CPU", get("udeflow_cpu"), ours("udeflow_cpu"));
  note("ranks", get("udeflow_ranks"), ours("udeflow_ranks"));
  return out;
}

}  // namespace udeflow
