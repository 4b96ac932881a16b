#include "udeflow/io/latest.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include <set>
#include <vector>

namespace udeflow::io {

PetscErrorCode ResolveResume(MPI_Comm comm, const std::string& value, const std::string& dir,
                             const std::string& stem, std::string* path) {
  PetscFunctionBeginUser;
  if (value != "latest") {
    *path = value;
    PetscFunctionReturn(0);
  }
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  std::string best;
  if (rank == 0) {
    const std::string d = dir.empty() ? "." : dir;
    struct timespec best_time = {0, 0};
    if (DIR* dp = opendir(d.c_str())) {
      while (const dirent* e = readdir(dp)) {
        const std::string name = e->d_name;
        if (name.size() < stem.size() + 3 || name.compare(0, stem.size(), stem) != 0 ||
            name.compare(name.size() - 3, 3, ".h5") != 0)
          continue;
        const std::string full = d + "/" + name;
        struct stat st;
        if (stat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const struct timespec t = st.st_mtim;
        if (best.empty() || t.tv_sec > best_time.tv_sec ||
            (t.tv_sec == best_time.tv_sec && t.tv_nsec > best_time.tv_nsec)) {
          best = full;
          best_time = t;
        }
      }
      closedir(dp);
    }
  }
  int n = static_cast<int>(best.size());
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_INT, 0, comm));
  best.resize(n);
  if (n) PetscCallMPI(MPI_Bcast(&best[0], n, MPI_CHAR, 0, comm));
  *path = best;
  PetscFunctionReturn(0);
}

namespace {

// Lock files this process holds (rank 0), so that taking one again is not refused.
std::set<std::string>& HeldLocks() {
  static std::set<std::string> held;
  return held;
}

}  // namespace

RunLock::~RunLock() {
  if (fd_ >= 0) {
    close(fd_);  // releases the lock; the file stays (harmless, reused)
    HeldLocks().erase(path_);
  }
}

PetscErrorCode RunLock::Acquire(MPI_Comm comm, const std::string& path, const char* what) {
  return Take(comm, path + ".lock", path, what);
}

PetscErrorCode RunLock::AcquireDirectory(MPI_Comm comm, const std::string& dir_in,
                                         const char* what) {
  std::string dir = dir_in.empty() ? std::string(".") : dir_in;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return Take(comm, dir + "/.udeflow.lock", dir, what);
}

PetscErrorCode RunLock::Take(MPI_Comm comm, const std::string& lock, const std::string& shown,
                             const char* what) {
  PetscFunctionBeginUser;
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  long holder = 0;  // 0: locked by us; -1: cannot create the lock file; > 0: the holder's pid
  if (rank == 0 && fd_ < 0 && !HeldLocks().count(lock)) {
    fd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) {
      holder = -1;
    } else if (flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      char text[32] = "";
      const ssize_t n = pread(fd_, text, sizeof(text) - 1, 0);
      holder = n > 0 ? std::atol(text) : 1;
      close(fd_);
      fd_ = -1;
    } else {
      char text[32];
      const int n = std::snprintf(text, sizeof(text), "%ld\n", static_cast<long>(getpid()));
      if (ftruncate(fd_, 0) != 0 || pwrite(fd_, text, static_cast<size_t>(n), 0) != n) {
        holder = -1;
      } else {
        path_ = lock;
        HeldLocks().insert(lock);
      }
    }
  }
  PetscCallMPI(MPI_Bcast(&holder, 1, MPI_LONG, 0, comm));
  PetscCheck(holder != -1, comm, PETSC_ERR_FILE_OPEN, "%s: cannot create the lock file '%s'", what,
             lock.c_str());
  PetscCheck(holder == 0, comm, PETSC_ERR_USER_INPUT,
             "%s: another udeflow run (pid %ld) is writing '%s'; wait for it to end or use another "
             "output directory",
             what, holder, shown.c_str());
  PetscFunctionReturn(0);
}

}  // namespace udeflow::io
