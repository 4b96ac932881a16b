#include "udeflow/io/latest.hpp"

#include <dirent.h>
#include <sys/stat.h>

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

}  // namespace udeflow::io
