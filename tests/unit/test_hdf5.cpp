// Parallel HDF5 layer: distributed slabs round-trip at any rank count, attributes,
// atomic commit (no half-written file), and clear errors for missing objects.
#include <gtest/gtest.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "test_util.hpp"
#include "udeflow/io/hdf5.hpp"

using udeflow::io::H5File;

namespace {

std::string TmpName(const char* base) {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  return std::string(base) + "_np" + std::to_string(size) + ".h5";
}

TEST(Hdf5, SlabRoundTripAndAttributes) {
  MPI_Comm comm = PETSC_COMM_WORLD;
  int rank, size;
  MPI_Comm_rank(comm, &rank);
  MPI_Comm_size(comm, &size);
  const std::string path = TmpName("hdf5_roundtrip");
  const hsize_t nt = 3, n = 10;
  // Uneven split of n over ranks.
  hsize_t start = (n * rank) / size, end = (n * (rank + 1)) / size;
  {
    H5File f;
    UDE_ASSERT_OK(H5File::Create(comm, path, &f));
    // Not yet visible under its final name.
    EXPECT_NE(access(path.c_str(), F_OK), 0);
    UDE_ASSERT_OK(f.CreateDataset("/fields/u", {nt, n}));
    for (hsize_t t = 0; t < nt; ++t) {
      std::vector<double> v;
      for (hsize_t i = start; i < end; ++i) v.push_back(100.0 * t + i);
      UDE_ASSERT_OK(f.WriteSlab("/fields/u", {t, start}, {1, end - start}, v.data()));
    }
    UDE_ASSERT_OK(f.WriteAttr("/", "physics", std::string("burgers")));
    UDE_ASSERT_OK(f.WriteAttr("/", "n", 10LL));
    UDE_ASSERT_OK(f.WriteAttr("/fields/u", "eta", 0.01));
    std::vector<double> times = {0.0, 0.5, 1.0};
    UDE_ASSERT_OK(f.WriteArray("/fields/t", {nt}, times.data()));
    UDE_ASSERT_OK(f.Commit());
  }
  MPI_Barrier(comm);
  H5File r;
  UDE_ASSERT_OK(H5File::Open(comm, path, "test", &r));
  std::string phys;
  long long nn = 0;
  double eta = 0;
  UDE_ASSERT_OK(r.ReadAttr("/", "physics", &phys));
  UDE_ASSERT_OK(r.ReadAttr("/", "n", &nn));
  UDE_ASSERT_OK(r.ReadAttr("/fields/u", "eta", &eta));
  EXPECT_EQ(phys, "burgers");
  EXPECT_EQ(nn, 10);
  EXPECT_EQ(eta, 0.01);
  std::vector<hsize_t> dims;
  std::vector<double> all;
  UDE_ASSERT_OK(r.ReadArray("/fields/u", &dims, &all));
  ASSERT_EQ(dims.size(), 2u);
  for (hsize_t t = 0; t < nt; ++t)
    for (hsize_t i = 0; i < n; ++i) EXPECT_EQ(all[t * n + i], 100.0 * t + i);
  std::vector<double> mine(end - start);
  UDE_ASSERT_OK(r.ReadSlab("/fields/u", {2, start}, {1, end - start}, mine.data()));
  for (hsize_t i = start; i < end; ++i) EXPECT_EQ(mine[i - start], 200.0 + i);
  EXPECT_TRUE(r.Exists("/fields/t"));
  EXPECT_FALSE(r.Exists("/fields/v"));
  EXPECT_FALSE(r.Exists("/nogroup/v"));
  // Errors are returned, not thrown or aborted.
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  std::vector<double> x;
  EXPECT_NE(r.ReadArray("/fields/v", &dims, &x), 0);
  double missing;
  EXPECT_NE(r.ReadAttr("/", "nothere", &missing), 0);
  H5File none;
  EXPECT_NE(H5File::Open(comm, "does_not_exist.h5", "option -dataset", &none), 0);
  PetscPopErrorHandler();
  UDE_ASSERT_OK(r.Close());
  MPI_Barrier(comm);
  if (rank == 0) unlink(path.c_str());
}

TEST(Hdf5, UncommittedFileIsRemoved) {
  MPI_Comm comm = PETSC_COMM_WORLD;
  const std::string path = TmpName("hdf5_partial");
  {
    H5File f;
    UDE_ASSERT_OK(H5File::Create(comm, path, &f));
    UDE_ASSERT_OK(f.CreateDataset("/x", {4}));
    // f goes out of scope without Commit(), as when a run fails half-way.
  }
  MPI_Barrier(comm);
  EXPECT_NE(access(path.c_str(), F_OK), 0);
  EXPECT_NE(access((path + ".partial").c_str(), F_OK), 0);
}

}  // namespace
