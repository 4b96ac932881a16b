// Field output for ParaView: a distributed 2-D field (2 components) and a 3-D field
// (non-zero origin, units) written in parallel by io::FieldWriter are read back with the
// HDF5 library and equal the values set on each rank; the files stay in the working
// directory for the ParaView reader check (check_xdmf.py, run by pvbatch).
#include <gtest/gtest.h>
#include <petscdmda.h>

#include <cmath>
#include <string>
#include <vector>

#include "test_util.hpp"
#include "udeflow/io/fields.hpp"

using udeflow::io::FieldWriter;
using udeflow::io::GridGeometry;
using udeflow::io::H5File;

namespace {

// The value of component c of cell (i, j, k) in frame f: distinct everywhere.
double Value(PetscInt i, PetscInt j, PetscInt k, PetscInt c, int f) {
  return 1000.0 * c + 100.0 * k + 10.0 * j + i + 0.25 * f + 0.001 * i * j;
}

std::string Suffix() {
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  return "_np" + std::to_string(size);
}

void FillAndWrite(DM da, const GridGeometry& geo, const std::string& path) {
  FieldWriter w;
  UDE_ASSERT_OK(w.Create(path, da, geo));
  Vec u;
  UDE_ASSERT_OK(DMCreateGlobalVector(da, &u));
  PetscInt xs, ys, zs, xm, ym, zm, dof;
  UDE_ASSERT_OK(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
  UDE_ASSERT_OK(DMDAGetInfo(da, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &dof,
                            nullptr, nullptr, nullptr, nullptr, nullptr));
  for (int f = 0; f < 3; ++f) {
    PetscScalar* a;
    UDE_ASSERT_OK(VecGetArray(u, &a));
    PetscInt p = 0;  // local ordering: x fastest, components interleaved
    for (PetscInt k = zs; k < zs + zm; ++k)
      for (PetscInt j = ys; j < ys + ym; ++j)
        for (PetscInt i = xs; i < xs + xm; ++i)
          for (PetscInt c = 0; c < dof; ++c) a[p++] = Value(i, j, k, c, f);
    UDE_ASSERT_OK(VecRestoreArray(u, &a));
    UDE_ASSERT_OK(w.Write("field", 0.5 * f, u));
  }
  UDE_ASSERT_OK(w.Commit());
  VecDestroy(&u);
}

void CheckFile(const std::string& path, PetscInt M, PetscInt N, PetscInt P, PetscInt dof,
               const std::string& units, const std::string& origin) {
  H5File f;
  UDE_ASSERT_OK(H5File::Open(PETSC_COMM_WORLD, path, "test", &f));
  std::string s;
  UDE_ASSERT_OK(f.ReadAttr("/", "units", &s));
  EXPECT_EQ(s, units);
  UDE_ASSERT_OK(f.ReadAttr("/", "origin", &s));
  EXPECT_EQ(s, origin);
  for (int fr = 0; fr < 3; ++fr) {
    const std::string ds = "/field/frame_00000" + std::to_string(fr);
    std::vector<hsize_t> dims;
    std::vector<double> v;
    UDE_ASSERT_OK(f.ReadArray(ds, &dims, &v));
    ASSERT_EQ(dims.size(), 1u);
    ASSERT_EQ(v.size(), (size_t)(M * N * P * dof));
    double t;
    UDE_ASSERT_OK(f.ReadAttr(ds, "time", &t));
    EXPECT_EQ(t, 0.5 * fr);
    size_t p = 0, bad = 0;
    for (PetscInt k = 0; k < P; ++k)
      for (PetscInt j = 0; j < N; ++j)
        for (PetscInt i = 0; i < M; ++i)
          for (PetscInt c = 0; c < dof; ++c) bad += v[p++] != Value(i, j, k, c, fr);
    EXPECT_EQ(bad, 0u) << ds;
  }
  // The XDMF sidecar names every field and frame.
  if (FILE* fp = std::fopen(udeflow::io::XdmfPathFor(path).c_str(), "r")) {
    std::string text;
    char buf[4096];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof(buf), fp)) > 0) text.append(buf, n);
    std::fclose(fp);
    EXPECT_NE(text.find("3DCoRectMesh"), std::string::npos);
    EXPECT_NE(text.find("frame_000002"), std::string::npos);
  } else {
    ADD_FAILURE() << "no XDMF file for " << path;
  }
}

TEST(Fields, Distributed2DFieldRoundTrip) {
  DM da;
  const PetscInt M = 12, N = 7;
  UDE_ASSERT_OK(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_PERIODIC, DM_BOUNDARY_NONE,
                             DMDA_STENCIL_STAR, M, N, PETSC_DECIDE, PETSC_DECIDE, 2, 1, nullptr,
                             nullptr, &da));
  UDE_ASSERT_OK(DMSetUp(da));
  GridGeometry geo;
  geo.cells = {M, N};
  geo.length = {6.0, 3.5};
  geo.origin = {-3.0, 1.0};
  geo.fields = {"prey", "predator"};
  geo.units = {"1/m2", "1/m2"};
  const std::string path = "fields_2d" + Suffix() + ".h5";
  FillAndWrite(da, geo, path);
  CheckFile(path, M, N, 1, 2, "1/m2,1/m2", "-3,1");
  DMDestroy(&da);
}

TEST(Fields, Distributed3DFieldRoundTrip) {
  DM da;
  const PetscInt M = 5, N = 4, P = 6;
  UDE_ASSERT_OK(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                             DMDA_STENCIL_STAR, M, N, P, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE,
                             1, 1, nullptr, nullptr, nullptr, &da));
  UDE_ASSERT_OK(DMSetUp(da));
  GridGeometry geo;
  geo.cells = {M, N, P};
  geo.length = {5000.0, 4000.0, 600.0};  // an ocean box: x, y, z in metres
  geo.origin = {0.0, 0.0, -600.0};
  geo.fields = {"T"};
  geo.units = {"degC"};
  const std::string path = "fields_3d" + Suffix() + ".h5";
  FillAndWrite(da, geo, path);
  CheckFile(path, M, N, P, 1, "degC", "0,0,-600");
  DMDestroy(&da);
}

TEST(Fields, GeometryMismatchIsAnError) {
  DM da;
  UDE_ASSERT_OK(DMDACreate1d(PETSC_COMM_WORLD, DM_BOUNDARY_PERIODIC, 16, 1, 1, nullptr, &da));
  UDE_ASSERT_OK(DMSetUp(da));
  GridGeometry geo;
  geo.cells = {15};
  geo.length = {1.0};
  geo.fields = {"u"};
  FieldWriter w;
  PetscPushErrorHandler(PetscReturnErrorHandler, nullptr);
  EXPECT_NE(w.Create("never" + Suffix() + ".h5", da, geo), 0);
  PetscPopErrorHandler();
  udeflow::SessionClearError();
  DMDestroy(&da);
}

}  // namespace

// The Catalyst adaptor's pieces of 2-D (two fields) and 3-D grids: written with the
// built-in .pvti pipeline, checked by check_catalyst_nd.py (values, extents, geometry).
#include "udeflow/config.hpp"
#include "udeflow/io/catalyst.hpp"

namespace {

void CatalystWrite(udeflow::io::Catalyst* catalyst, DM da, const GridGeometry& geo,
                   const std::string& run) {
  catalyst->SetRun(run);
  Vec u;
  UDE_ASSERT_OK(DMCreateGlobalVector(da, &u));
  PetscInt xs, ys, zs, xm, ym, zm, dof;
  UDE_ASSERT_OK(DMDAGetCorners(da, &xs, &ys, &zs, &xm, &ym, &zm));
  UDE_ASSERT_OK(DMDAGetInfo(da, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, &dof,
                            nullptr, nullptr, nullptr, nullptr, nullptr));
  for (int step = 0; step < 3; ++step) {
    PetscScalar* a;
    UDE_ASSERT_OK(VecGetArray(u, &a));
    PetscInt p = 0;
    for (PetscInt k = zs; k < zs + zm; ++k)
      for (PetscInt j = ys; j < ys + ym; ++j)
        for (PetscInt i = xs; i < xs + xm; ++i)
          for (PetscInt c = 0; c < dof; ++c) a[p++] = Value(i, j, k, c, step);
    UDE_ASSERT_OK(VecRestoreArray(u, &a));
    UDE_ASSERT_OK(catalyst->Execute(da, geo, step, 0.5 * step, u));
  }
  VecDestroy(&u);
}

TEST(Fields, CatalystPieces2DAnd3D) {
  if (!UDEFLOW_HAVE_CATALYST) GTEST_SKIP() << "built without ParaView Catalyst";
  int size;
  MPI_Comm_size(PETSC_COMM_WORLD, &size);
  if (size != 3) GTEST_SKIP() << "run at 3 ranks only (uneven pieces; ParaView's start-up is slow)";
  // One Catalyst session per process (ParaView's processor cannot be initialized twice).
  std::unique_ptr<udeflow::io::Catalyst> catalyst;
  {
    udeflow::test::ScopedOptions opts(
        "-catalyst_vti -catalyst_every 2 -catalyst_output catalyst_nd" + Suffix());
    UDE_ASSERT_OK(udeflow::io::Catalyst::Create(PETSC_COMM_WORLD, &catalyst));
  }
  ASSERT_TRUE(catalyst);
  DM da2, da3;
  UDE_ASSERT_OK(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_PERIODIC, DM_BOUNDARY_NONE,
                             DMDA_STENCIL_STAR, 12, 7, PETSC_DECIDE, PETSC_DECIDE, 2, 1, nullptr,
                             nullptr, &da2));
  UDE_ASSERT_OK(DMSetUp(da2));
  GridGeometry g2;
  g2.cells = {12, 7};
  g2.length = {6.0, 3.5};
  g2.origin = {-3.0, 1.0};
  g2.fields = {"prey", "predator"};
  CatalystWrite(catalyst.get(), da2, g2, "grid2d");
  UDE_ASSERT_OK(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                             DMDA_STENCIL_STAR, 5, 4, 6, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE,
                             1, 1, nullptr, nullptr, nullptr, &da3));
  UDE_ASSERT_OK(DMSetUp(da3));
  GridGeometry g3;
  g3.cells = {5, 4, 6};
  g3.length = {5000.0, 4000.0, 600.0};
  g3.origin = {0.0, 0.0, -600.0};
  g3.fields = {"T"};
  CatalystWrite(catalyst.get(), da3, g3, "grid3d");
  EXPECT_EQ(catalyst->Executions(), 4);  // steps 0 and 2 of each grid
  DMDestroy(&da2);
  DMDestroy(&da3);
}

}  // namespace
