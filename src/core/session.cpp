#include "udeflow/core/session.hpp"

#include <malloc.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "udeflow/core/aligned.hpp"
#include "udeflow/core/log.hpp"
#include "udeflow/core/options.hpp"
#include "udeflow/core/options_check.hpp"
#include "udeflow/core/provenance.hpp"
#include "udeflow/core/signals.hpp"

namespace udeflow {
namespace {

char g_first_message[2048] = "";
PetscErrorCode g_first_code = 0;
bool g_petsc_up = false;

PetscErrorCode RecordingHandler(MPI_Comm comm, int line, const char* fun, const char* file,
                                PetscErrorCode n, PetscErrorType p, const char* mess, void* ctx) {
  // The first call is the one at the error's origin (PETSC_ERROR_INITIAL), except for an
  // error code returned by a callback such as the allocator (a repeat from the start).
  if (!g_first_code) {
    g_first_code = n;
    if (n == PETSC_ERR_MEM) {
      std::snprintf(g_first_message, sizeof(g_first_message),
                    "out of memory (in %s): more than this machine has; check the grid sizes "
                    "and counts in the options",
                    fun);
    } else if (mess && mess[0] && std::strcmp(mess, " ") != 0) {
      std::snprintf(g_first_message, sizeof(g_first_message), "%s", mess);
    } else {
      const char* text = nullptr;
      PetscErrorMessage(n, &text, nullptr);
      std::snprintf(g_first_message, sizeof(g_first_message), "%s (in %s, %s:%d)",
                    text ? text : "PETSc error", fun, file, line);
    }
  }
  return n;
}

// PETSc's own allocator aligns to 16 bytes (PETSC_MEMALIGN); these give every Vec array
// a 64-byte boundary, so vectorized code reading PETSc memory peels the same way in every
// run (see core/aligned.hpp).  Same contract as PETSc's PetscMallocAlign & co.
std::atomic<long long> g_live_bytes{0};  // held by PETSc through the allocator below

PetscErrorCode AlignedMalloc(size_t bytes, PetscBool clear, int, const char[], const char[],
                             void** result) {
  if (!bytes) {
    *result = nullptr;
    return 0;
  }
  // More than the machine's memory in all (e.g. a mistyped grid size) is refused at once,
  // as an error; with overcommit it would otherwise be granted, and the process killed.
  static const double physical = (double)sysconf(_SC_PHYS_PAGES) * sysconf(_SC_PAGESIZE);
  if (physical > 0 && (double)g_live_bytes + (double)bytes > physical) return PETSC_ERR_MEM;
  const size_t rounded = (bytes + kBufferAlignment - 1) / kBufferAlignment * kBufferAlignment;
  *result = std::aligned_alloc(kBufferAlignment, rounded);
  if (!*result) return PETSC_ERR_MEM;
  g_live_bytes += (long long)malloc_usable_size(*result);
  if (clear) std::memset(*result, 0, bytes);
  return 0;
}

void FreeCounted(void* ptr) {
  if (ptr) g_live_bytes -= (long long)malloc_usable_size(ptr);
  std::free(ptr);
}

PetscErrorCode AlignedFree(void* ptr, int, const char[], const char[]) {
  FreeCounted(ptr);
  return 0;
}

PetscErrorCode AlignedRealloc(size_t bytes, int line, const char func[], const char file[],
                              void** result) {
  void* old = *result;
  if (!bytes) {
    FreeCounted(old);
    *result = nullptr;
    return 0;
  }
  void* fresh = nullptr;
  if (AlignedMalloc(bytes, PETSC_FALSE, line, func, file, &fresh)) return PETSC_ERR_MEM;
  if (old) {
    const size_t have = malloc_usable_size(old);
    std::memcpy(fresh, old, have < bytes ? have : bytes);
    FreeCounted(old);
  }
  *result = fresh;
  return 0;
}

bool EndsWith(const std::string& s, const char* suffix) {
  size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// Records which options `file` sets (read into a scratch database: PETSc does not keep
// the source of an option), for messages that say where an option came from.
PetscErrorCode RecordFileSources(const std::string& file, bool yaml) {
  PetscFunctionBeginUser;
  PetscOptions scratch;
  PetscCall(PetscOptionsCreate(&scratch));
  PetscErrorCode e =
      yaml ? PetscOptionsInsertFileYAML(PETSC_COMM_WORLD, scratch, file.c_str(), PETSC_TRUE)
           : PetscOptionsInsertFile(PETSC_COMM_WORLD, scratch, file.c_str(), PETSC_TRUE);
  if (!e) {
    PetscInt n;
    char **names, **values;
    PetscCall(PetscOptionsLeftGet(scratch, &n, &names, &values));
    for (PetscInt i = 0; i < n; ++i) OptionsSetSource(names[i], file, values[i] ? values[i] : "");
    PetscCall(PetscOptionsLeftRestore(scratch, &n, &names, &values));
  }
  PetscCall(PetscOptionsDestroy(&scratch));
  PetscFunctionReturn(0);
}

}  // namespace

void SessionRecordCommandLine(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const char* a = argv[i];
    if (a[0] != '-' || !a[1] || std::isdigit((unsigned char)a[1]) || a[1] == '.') continue;
    const char* name = a + (a[1] == '-' ? 2 : 1);
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    const bool value = next && (next[0] != '-' || std::isdigit((unsigned char)next[1]) ||
                                next[1] == '.' || !next[1]);
    OptionsSetSource(name, kCommandLine, value ? next : "");
  }
}

PetscErrorCode SessionInsertOptionsFile(const std::string& file) {
  PetscFunctionBeginUser;
  PetscCheck(access(file.c_str(), R_OK) == 0, PETSC_COMM_WORLD, PETSC_ERR_FILE_OPEN,
             "option -options_file: cannot read case file '%s'", file.c_str());
  const bool yaml = EndsWith(file, ".yaml") || EndsWith(file, ".yml");
  PetscErrorCode e =
      yaml ? PetscOptionsInsertFileYAML(PETSC_COMM_WORLD, nullptr, file.c_str(), PETSC_TRUE)
           : PetscOptionsInsertFile(PETSC_COMM_WORLD, nullptr, file.c_str(), PETSC_TRUE);
  if (e) {
    std::string inner = g_first_message;
    g_first_code = 0;
    g_first_message[0] = '\0';
    SETERRQ(PETSC_COMM_WORLD, PETSC_ERR_FILE_UNEXPECTED,
            "option -options_file: malformed %s file '%s': %s", yaml ? "YAML case" : "options",
            file.c_str(), inner.c_str());
  }
  PetscCall(RecordFileSources(file, yaml));
  PetscFunctionReturn(0);
}

const char* SessionFirstErrorMessage() {
  return g_first_message;
}

void SessionClearError() {
  g_first_code = 0;
  g_first_message[0] = '\0';
}

void SessionPrepare() {
  static bool done = false;
  if (done) return;
  done = true;
  PinLibraryThreads();
  PetscMallocSet(AlignedMalloc, AlignedFree, AlignedRealloc);
}

PetscErrorCode SessionInitialize(int* argc, char*** argv, const char* help) {
  SessionPrepare();
  // Take -options_file out of argv; it is read below with a clear error report.
  std::vector<std::string> files;
  {
    int out = 1;
    for (int i = 1; i < *argc; ++i) {
      if (std::strcmp((*argv)[i], "-options_file") == 0 && i + 1 < *argc) {
        files.emplace_back((*argv)[i + 1]);
        ++i;
        continue;
      }
      (*argv)[out++] = (*argv)[i];
    }
    (*argv)[out] = nullptr;
    *argc = out;
  }
  PetscErrorCode ierr = PetscInitialize(argc, argv, nullptr, help);
  if (ierr) {
    std::fprintf(stderr, "udeflow: error: could not initialize PETSc/MPI (code %d)\n", (int)ierr);
    return ierr;
  }
  g_petsc_up = true;
  StopSignalReinstall();  // PETSc's signal handler must not take over an armed graceful stop
  PetscBool traceback = PETSC_FALSE;
  PetscCall(PetscOptionsGetBool(nullptr, nullptr, "-udeflow_traceback", &traceback, nullptr));
  if (!traceback) PetscCall(PetscPushErrorHandler(RecordingHandler, nullptr));
  PetscCall(LogEventsRegister());

  for (const std::string& file : files) PetscCall(SessionInsertOptionsFile(file));
  SessionRecordCommandLine(*argc, *argv);
  if (!files.empty()) {
    // Command-line options override the case file.
    PetscCall(PetscOptionsInsert(nullptr, argc, argv, nullptr));
  }
  PetscCall(ProvenanceCapture());
  return 0;
}

int SessionFinalize(PetscErrorCode ierr) {
  if (!g_petsc_up) return ierr ? 1 : 0;
  if (!ierr) {
    ierr = PetscFinalize();
    return ierr ? 1 : 0;
  }
  // Did every rank fail (a collective check), or only some?  Wait a little for all
  // ranks; if they do not all arrive, this rank reports and aborts the job.
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Request req;
  MPI_Ibarrier(PETSC_COMM_WORLD, &req);
  int done = 0;
  auto start = std::chrono::steady_clock::now();
  while (!done) {
    MPI_Test(&req, &done, MPI_STATUS_IGNORE);
    if (done) break;
    if (std::chrono::steady_clock::now() - start > std::chrono::seconds(5)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  const std::string explained = OptionsExplainError(g_first_message);
  const char* msg = g_first_message[0] ? explained.c_str() : "unknown error";
  if (!done) {
    std::fprintf(stderr, "udeflow: error (rank %d): %s\n", rank, msg);
    std::fflush(stderr);
    MPI_Abort(PETSC_COMM_WORLD, 1);
    return 1;
  }
  if (rank == 0) {
    std::fprintf(stderr, "udeflow: error: %s\n", msg);
    std::fflush(stderr);
  }
  PetscPopErrorHandler();
  PetscFinalize();
  return 1;
}

}  // namespace udeflow
