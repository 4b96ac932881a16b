#include "udeflow/io/hdf5.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <utility>

#include "udeflow/core/log.hpp"
#include "udeflow/core/provenance.hpp"

namespace udeflow::io {

void Hdf5Quiet() {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

namespace {

const char* const kFormatAttr = "udeflow_file_format";
const char* const kKindAttr = "udeflow_file_kind";
// Elements per chunk of a dataset (128 KiB of doubles): large enough that the chunk index
// and the 4-byte checksum per chunk cost nothing, small enough that writing one row of a
// [times, cells] dataset rewrites little more than the row.
constexpr hsize_t kChunkElements = 16384;

// Files are written in the 1.10 file format: checksummed superblock, object headers,
// group and chunk indexes.
hid_t FileAccess(MPI_Comm comm, bool writing) {
  hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
  H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
  if (writing) H5Pset_libver_bounds(fapl, H5F_LIBVER_V110, H5F_LIBVER_LATEST);
  return fapl;
}

// The chunk of a dataset: the fastest dimensions whole as far as kChunkElements allows.
// Depends on the global dims only (not on the rank count), so are the stored checksums.
std::vector<hsize_t> ChunkShape(const std::vector<hsize_t>& dims) {
  std::vector<hsize_t> chunk(dims.size(), 1);
  hsize_t room = kChunkElements;
  for (size_t i = dims.size(); i-- > 0;) {
    chunk[i] = std::max<hsize_t>(1, std::min(dims[i], room));
    room = std::max<hsize_t>(1, room / chunk[i]);
  }
  return chunk;
}

herr_t InnermostError(unsigned n, const H5E_error2_t* e, void* data) {
  if (n == 0 && e->desc) *static_cast<std::string*>(data) = e->desc;
  return 0;
}

// HDF5's description of the most specific error on its error stack (e.g. "data error
// detected by Fletcher32 checksum", "truncated file: eof = ...").
std::string Hdf5Reason() {
  std::string reason;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, InnermostError, &reason);
  return reason.empty() ? std::string("unreadable") : reason;
}

// Ranks read different parts of a dataset: if any failed, every rank gets the first
// failing rank's reason.  Collective.
PetscErrorCode AgreeOnFailure(MPI_Comm comm, std::string* why) {
  PetscFunctionBeginUser;
  int rank, size;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Comm_size(comm, &size));
  int who = why->empty() ? size : rank, first = size;
  PetscCallMPI(MPI_Allreduce(&who, &first, 1, MPI_INT, MPI_MIN, comm));
  if (first == size) PetscFunctionReturn(0);
  int n = static_cast<int>(why->size());
  PetscCallMPI(MPI_Bcast(&n, 1, MPI_INT, first, comm));
  why->resize(n);
  PetscCallMPI(MPI_Bcast(why->data(), n, MPI_CHAR, first, comm));
  PetscFunctionReturn(0);
}

struct Closer {
  hid_t id;
  herr_t (*fn)(hid_t);
  ~Closer() {
    if (id >= 0) fn(id);
  }
};

// File and memory selections of a hyperslab (count may be zero on some ranks) and a
// transfer list: collective for writes (HDF5 writes filtered datasets only collectively),
// independent for reads (a rank whose chunk fails its checksum returns from HDF5 alone,
// without leaving the others inside a collective call; the ranks then agree).
struct Slab {
  hid_t file = -1, memory = -1, xfer = -1;
  Slab(hid_t dataset, const std::vector<hsize_t>& offset, const std::vector<hsize_t>& count,
       H5FD_mpio_xfer_t mode) {
    file = H5Dget_space(dataset);
    hsize_t n = 1;
    for (hsize_t c : count) n *= c;
    if (n > 0)
      H5Sselect_hyperslab(file, H5S_SELECT_SET, offset.data(), nullptr, count.data(), nullptr);
    else
      H5Sselect_none(file);
    memory = H5Screate_simple(1, &n, nullptr);
    if (n == 0) H5Sselect_none(memory);
    xfer = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(xfer, mode);
  }
  ~Slab() {
    H5Sclose(file);
    H5Sclose(memory);
    H5Pclose(xfer);
  }
};

}  // namespace

std::string FileKindOfFormat(const std::string& format) {
  static const std::pair<const char*, const char*> kKinds[] = {
      {"udeflow-trajectories", "dataset"},
      {"udeflow-model", "model"},
      {"udeflow-train-state", "training state"},
      {"udeflow-bsde-checkpoint", "BSDE training checkpoint"},
      {"udeflow-fields", "field file"},
      {"udeflow-profiles", "evaluation file (profiles)"},
      {"udeflow-discover", "discovered-equations file"},
  };
  for (const auto& [prefix, kind] : kKinds)
    if (format.compare(0, std::strlen(prefix), prefix) == 0) return kind;
  if (format.find("-report") != std::string::npos) return "learned-terms report";
  return "udeflow file";
}

H5File::~H5File() {
  if (fid_ >= 0) Close();
}

PetscErrorCode H5File::Create(MPI_Comm comm, const std::string& path, H5File* f) {
  PetscFunctionBeginUser;
  Hdf5Quiet();
  PetscCall(f->Close());
  f->comm_ = comm;
  f->path_ = path;
  f->write_path_ = path + ".partial";
  f->damage_.clear();
  hid_t fapl = FileAccess(comm, true);
  f->fid_ = H5Fcreate(f->write_path_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
  H5Pclose(fapl);
  PetscCheck(f->fid_ >= 0, comm, PETSC_ERR_FILE_OPEN,
             "cannot create HDF5 file '%s' (is the directory writable?)", path.c_str());
  f->writing_ = true;
  PetscCall(f->WriteAttr("/", kFormatAttr, kFileFormat));
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::Open(MPI_Comm comm, const std::string& path, const char* what, H5File* f) {
  PetscFunctionBeginUser;
  Hdf5Quiet();
  PetscCall(f->Close());
  PetscCheck(access(path.c_str(), R_OK) == 0, comm, PETSC_ERR_FILE_OPEN,
             "%s: cannot read file '%s'", what, path.c_str());
  PetscCheck(H5Fis_hdf5(path.c_str()) > 0, comm, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' is not an HDF5 file (or its first bytes are damaged)", what, path.c_str());
  f->comm_ = comm;
  f->path_ = path;
  f->damage_.clear();
  hid_t fapl = FileAccess(comm, false);
  f->fid_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, fapl);
  const std::string why = f->fid_ < 0 ? Hdf5Reason() : std::string();  // before another call
  H5Pclose(fapl);
  PetscCheck(f->fid_ >= 0, comm, PETSC_ERR_FILE_READ,
             "%s: '%s' is damaged or truncated: HDF5 cannot open it (%s)", what, path.c_str(),
             why.c_str());
  f->writing_ = false;
  PetscCall(f->CheckFormat(what));
  PetscFunctionReturn(0);
}

// udeflow_file_format: absent in files written before it existed (read with a note),
// newer than this build's: refused.
PetscErrorCode H5File::CheckFormat(const char* what) {
  PetscFunctionBeginUser;
  const bool has = HasAttr("/", kFormatAttr);
  PetscCall(CheckIntact());
  if (!has) {
    PetscCall(PetscPrintf(comm_,
                          "note: %s: '%s' was written by an older udeflow (no %s attribute): it "
                          "has no checksums, so damage to it cannot be detected; regenerate it "
                          "to have it checked\n",
                          what, path_.c_str(), kFormatAttr));
    PetscFunctionReturn(0);
  }
  long long format = 0;
  PetscCall(ReadAttr("/", kFormatAttr, &format));
  PetscCheck(format <= kFileFormat, comm_, PETSC_ERR_FILE_UNEXPECTED,
             "%s: '%s' was written by a newer udeflow (file format %lld; this build reads format "
             "%lld and older)",
             what, path_.c_str(), format, kFileFormat);
  PetscFunctionReturn(0);
}

std::string H5File::Kind() const {
  std::string kind, format;
  if (HasAttr("/", kKindAttr) && ReadAttr("/", kKindAttr, &kind) == 0) return kind;
  if (HasAttr("/", "format") && ReadAttr("/", "format", &format) == 0)
    return FileKindOfFormat(format);
  return "udeflow file";
}

PetscErrorCode H5File::SetKind(const std::string& kind) {
  return WriteAttr("/", kKindAttr, kind);
}

void H5File::NoteDamage(const std::string& object) const {
  if (damage_.empty()) damage_ = object + " cannot be read (HDF5: " + Hdf5Reason() + ")";
}

hid_t H5File::OpenDataset(const std::string& path) const {
  hid_t d = H5Dopen2(fid_, path.c_str(), H5P_DEFAULT);
  if (d >= 0) return d;
  const std::string why = Hdf5Reason();
  H5O_info_t info;
  if (H5Oget_info_by_name2(fid_, path.c_str(), &info, H5O_INFO_BASIC, H5P_DEFAULT) >= 0 &&
      info.type != H5O_TYPE_DATASET)
    return d;  // a group: not damage, the caller says what it expected
  if (damage_.empty()) damage_ = "dataset " + path + " cannot be read (HDF5: " + why + ")";
  return d;
}

PetscErrorCode H5File::CheckIntact() const {
  PetscFunctionBeginUser;
  PetscCheck(damage_.empty(), comm_, PETSC_ERR_FILE_READ,
             "'%s' is damaged: %s; restore a good copy or regenerate it", path_.c_str(),
             damage_.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::Commit() {
  PetscFunctionBeginUser;
  PetscCheck(fid_ >= 0 && writing_, comm_, PETSC_ERR_ORDER,
             "Commit() on a file not open for writing");
  // What determines the contents (core/provenance.hpp), unless the writer set it.
  for (const auto& [name, value] : ProvenanceAttributes())
    if (!HasAttr("/", name.c_str())) PetscCall(WriteAttr("/", name.c_str(), value));
  if (!HasAttr("/", kKindAttr)) PetscCall(SetKind(Kind()));
  herr_t e = H5Fclose(fid_);
  fid_ = -1;
  PetscCheck(e >= 0, comm_, PETSC_ERR_FILE_WRITE, "error closing HDF5 file '%s'",
             write_path_.c_str());
  PetscCallMPI(MPI_Barrier(comm_));
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  int ok = 1;
  if (rank == 0) ok = std::rename(write_path_.c_str(), path_.c_str()) == 0;
  PetscCallMPI(MPI_Bcast(&ok, 1, MPI_INT, 0, comm_));
  PetscCheck(ok, comm_, PETSC_ERR_FILE_WRITE, "cannot rename '%s' to '%s'", write_path_.c_str(),
             path_.c_str());
  writing_ = false;
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::Close() {
  PetscFunctionBeginUser;
  if (fid_ >= 0) {
    H5Fclose(fid_);
    fid_ = -1;
    if (writing_) {
      int rank;
      MPI_Comm_rank(comm_, &rank);
      if (rank == 0) std::remove(write_path_.c_str());
    }
  }
  writing_ = false;
  PetscFunctionReturn(0);
}

bool H5File::Exists(const std::string& object) const {
  if (fid_ < 0) return false;
  if (object == "/") return true;
  // Check each component so that a missing intermediate group is not an error.
  size_t pos = 0;
  while (true) {
    pos = object.find('/', pos + 1);
    std::string part = object.substr(0, pos);
    if (!part.empty() && part != "/") {
      const htri_t e = H5Lexists(fid_, part.c_str(), H5P_DEFAULT);
      if (e < 0) NoteDamage("the link to " + part);
      if (e <= 0) return false;
    }
    if (pos == std::string::npos) break;
  }
  return true;
}

PetscErrorCode H5File::CreateGroup(const std::string& group) {
  PetscFunctionBeginUser;
  if (Exists(group)) PetscFunctionReturn(0);
  hid_t g = H5Gcreate2(fid_, group.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(g >= 0, comm_, PETSC_ERR_FILE_WRITE, "cannot create group %s in '%s'", group.c_str(),
             path_.c_str());
  H5Gclose(g);
  PetscFunctionReturn(0);
}

namespace {

template <class T>
PetscErrorCode WriteScalarAttr(MPI_Comm comm, hid_t fid, const std::string& file,
                               const std::string& object, const char* name, hid_t type,
                               const T* value) {
  PetscFunctionBeginUser;
  hid_t obj = H5Oopen(fid, object.c_str(), H5P_DEFAULT);
  PetscCheck(obj >= 0, comm, PETSC_ERR_FILE_WRITE, "'%s': no object %s", file.c_str(),
             object.c_str());
  Closer co{obj, H5Oclose};
  if (H5Aexists(obj, name) > 0) H5Adelete(obj, name);
  hid_t space = H5Screate(H5S_SCALAR);
  Closer cs{space, H5Sclose};
  hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
  PetscCheck(attr >= 0, comm, PETSC_ERR_FILE_WRITE, "'%s': cannot create attribute %s",
             file.c_str(), name);
  Closer ca{attr, H5Aclose};
  PetscCheck(H5Awrite(attr, type, value) >= 0, comm, PETSC_ERR_FILE_WRITE,
             "'%s': cannot write attribute %s", file.c_str(), name);
  PetscFunctionReturn(0);
}

}  // namespace

PetscErrorCode H5File::WriteAttr(const std::string& object, const char* name, double value) {
  return WriteScalarAttr(comm_, fid_, path_, object, name, H5T_NATIVE_DOUBLE, &value);
}

PetscErrorCode H5File::WriteAttr(const std::string& object, const char* name, long long value) {
  return WriteScalarAttr(comm_, fid_, path_, object, name, H5T_NATIVE_LLONG, &value);
}

PetscErrorCode H5File::WriteAttr(const std::string& object, const char* name,
                                 const std::string& value) {
  PetscFunctionBeginUser;
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, value.size() + 1);
  H5Tset_strpad(type, H5T_STR_NULLTERM);
  PetscErrorCode e = WriteScalarAttr(comm_, fid_, path_, object, name, type, value.c_str());
  H5Tclose(type);
  PetscCall(e);
  PetscFunctionReturn(0);
}

bool H5File::HasAttr(const std::string& object, const char* name) const {
  if (!Exists(object)) return false;
  const htri_t e = H5Aexists_by_name(fid_, object.c_str(), name, H5P_DEFAULT);
  if (e < 0) NoteDamage(object == "/" ? "the root group" : object);
  return e > 0;
}

namespace {

// Opens attribute `name` of `object` for reading: *a < 0 if absent or unreadable.
hid_t OpenAttr(hid_t fid, const std::string& object, const char* name) {
  return H5Aopen_by_name(fid, object.c_str(), name, H5P_DEFAULT, H5P_DEFAULT);
}

// True when attribute `a` holds exactly one element (a scalar attribute): reading an
// array attribute into one value would overrun it (a damaged or foreign file).
bool SingleElement(hid_t a) {
  hid_t space = H5Aget_space(a);
  if (space < 0) return false;
  const hssize_t n = H5Sget_simple_extent_npoints(space);
  H5Sclose(space);
  return n == 1;
}

}  // namespace

PetscErrorCode H5File::ReadAttr(const std::string& object, const char* name, double* value) const {
  PetscFunctionBeginUser;
  const bool has = HasAttr(object, name);
  PetscCall(CheckIntact());
  PetscCheck(has, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing attribute %s on %s",
             path_.c_str(), name, object.c_str());
  hid_t a = OpenAttr(fid_, object, name);
  Closer ca{a, H5Aclose};
  if (a < 0) NoteDamage("attribute " + std::string(name) + " of " + object);
  PetscCall(CheckIntact());
  PetscCheck(SingleElement(a), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': attribute %s on %s is not a single number", path_.c_str(), name,
             object.c_str());
  PetscCheck(H5Aread(a, H5T_NATIVE_DOUBLE, value) >= 0, comm_, PETSC_ERR_FILE_READ,
             "'%s': attribute %s on %s is not a number", path_.c_str(), name, object.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::ReadAttr(const std::string& object, const char* name,
                                long long* value) const {
  PetscFunctionBeginUser;
  const bool has = HasAttr(object, name);
  PetscCall(CheckIntact());
  PetscCheck(has, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing attribute %s on %s",
             path_.c_str(), name, object.c_str());
  hid_t a = OpenAttr(fid_, object, name);
  Closer ca{a, H5Aclose};
  if (a < 0) NoteDamage("attribute " + std::string(name) + " of " + object);
  PetscCall(CheckIntact());
  PetscCheck(SingleElement(a), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': attribute %s on %s is not a single integer", path_.c_str(), name,
             object.c_str());
  PetscCheck(H5Aread(a, H5T_NATIVE_LLONG, value) >= 0, comm_, PETSC_ERR_FILE_READ,
             "'%s': attribute %s on %s is not an integer", path_.c_str(), name, object.c_str());
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::ReadAttr(const std::string& object, const char* name,
                                std::string* value) const {
  PetscFunctionBeginUser;
  const bool has = HasAttr(object, name);
  PetscCall(CheckIntact());
  PetscCheck(has, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing attribute %s on %s",
             path_.c_str(), name, object.c_str());
  hid_t a = OpenAttr(fid_, object, name);
  Closer ca{a, H5Aclose};
  if (a < 0) NoteDamage("attribute " + std::string(name) + " of " + object);
  PetscCall(CheckIntact());
  hid_t ft = H5Aget_type(a);
  Closer ct{ft, H5Tclose};
  PetscCheck(H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) && SingleElement(a), comm_,
             PETSC_ERR_FILE_UNEXPECTED, "'%s': attribute %s on %s is not a fixed-length string",
             path_.c_str(), name, object.c_str());
  size_t n = H5Tget_size(ft);
  std::vector<char> buf(n + 1, '\0');
  hid_t mt = H5Tcopy(H5T_C_S1);
  H5Tset_size(mt, n + 1);  // room for the terminator whatever the file's padding
  H5Tset_strpad(mt, H5T_STR_NULLTERM);
  Closer cm{mt, H5Tclose};
  PetscCheck(H5Aread(a, mt, buf.data()) >= 0, comm_, PETSC_ERR_FILE_READ,
             "'%s': cannot read attribute %s", path_.c_str(), name);
  *value = std::string(buf.data());
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::CreateDataset(const std::string& path, const std::vector<hsize_t>& dims) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::hdf5_write, 0, 0, 0, 0));
  if (Exists(path)) H5Ldelete(fid_, path.c_str(), H5P_DEFAULT);
  hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  Closer cs{space, H5Sclose};
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  Closer cl{lcpl, H5Pclose};
  // Chunked with a Fletcher32 checksum per chunk, verified by HDF5 on every read (an
  // empty dataset has no data to protect and cannot be chunked).
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  Closer cp{dcpl, H5Pclose};
  hsize_t n = 1;
  for (hsize_t d : dims) n *= d;
  if (n > 0 && !dims.empty()) {
    const std::vector<hsize_t> chunk = ChunkShape(dims);
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    H5Pset_fletcher32(dcpl);
  }
  hid_t d = H5Dcreate2(fid_, path.c_str(), H5T_NATIVE_DOUBLE, space, lcpl, dcpl, H5P_DEFAULT);
  PetscCheck(d >= 0, comm_, PETSC_ERR_FILE_WRITE, "'%s': cannot create dataset %s", path_.c_str(),
             path.c_str());
  H5Dclose(d);
  PetscCall(PetscLogEventEnd(LogEvents::hdf5_write, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::WriteSlab(const std::string& path, const std::vector<hsize_t>& offset,
                                 const std::vector<hsize_t>& count, const double* data) {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::hdf5_write, 0, 0, 0, 0));
  hid_t d = H5Dopen2(fid_, path.c_str(), H5P_DEFAULT);
  PetscCheck(d >= 0, comm_, PETSC_ERR_FILE_WRITE, "'%s': no dataset %s", path_.c_str(),
             path.c_str());
  Closer cd{d, H5Dclose};
  Slab slab(d, offset, count, H5FD_MPIO_COLLECTIVE);
  herr_t e = H5Dwrite(d, H5T_NATIVE_DOUBLE, slab.memory, slab.file, slab.xfer, data);
  PetscCheck(e >= 0, comm_, PETSC_ERR_FILE_WRITE, "'%s': error writing %s", path_.c_str(),
             path.c_str());
  PetscCall(PetscLogEventEnd(LogEvents::hdf5_write, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::ReadSlab(const std::string& path, const std::vector<hsize_t>& offset,
                                const std::vector<hsize_t>& count, double* data) const {
  PetscFunctionBeginUser;
  PetscCall(PetscLogEventBegin(LogEvents::hdf5_read, 0, 0, 0, 0));
  const bool exists = Exists(path);
  PetscCall(CheckIntact());
  PetscCheck(exists, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing dataset %s", path_.c_str(),
             path.c_str());
  hid_t d = OpenDataset(path);
  Closer cd{d, H5Dclose};
  PetscCall(CheckIntact());
  PetscCheck(d >= 0, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': %s is not a dataset", path_.c_str(),
             path.c_str());
  hid_t fs = H5Dget_space(d);
  Closer cf{fs, H5Sclose};
  PetscCheck(H5Sget_simple_extent_ndims(fs) == (int)count.size(), comm_, PETSC_ERR_FILE_UNEXPECTED,
             "'%s': dataset %s has %d dimensions, expected %d", path_.c_str(), path.c_str(),
             H5Sget_simple_extent_ndims(fs), (int)count.size());
  Slab slab(d, offset, count, H5FD_MPIO_INDEPENDENT);
  herr_t e = H5Dread(d, H5T_NATIVE_DOUBLE, slab.memory, slab.file, slab.xfer, data);
  std::string why = e < 0 ? Hdf5Reason() : std::string();
  PetscCall(AgreeOnFailure(comm_, &why));
  if (!why.empty() && damage_.empty())
    damage_ = "dataset " + path + " fails its checksum or cannot be read (HDF5: " + why + ")";
  PetscCall(CheckIntact());
  PetscCall(PetscLogEventEnd(LogEvents::hdf5_read, 0, 0, 0, 0));
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::Dims(const std::string& path, std::vector<hsize_t>* dims) const {
  PetscFunctionBeginUser;
  const bool exists = Exists(path);
  PetscCall(CheckIntact());
  PetscCheck(exists, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': missing dataset %s", path_.c_str(),
             path.c_str());
  hid_t d = OpenDataset(path);
  Closer cd{d, H5Dclose};
  PetscCall(CheckIntact());
  PetscCheck(d >= 0, comm_, PETSC_ERR_FILE_UNEXPECTED, "'%s': %s is not a dataset", path_.c_str(),
             path.c_str());
  hid_t fs = H5Dget_space(d);
  Closer cf{fs, H5Sclose};
  int nd = H5Sget_simple_extent_ndims(fs);
  dims->resize(nd);
  H5Sget_simple_extent_dims(fs, dims->data(), nullptr);
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::WriteArray(const std::string& path, const std::vector<hsize_t>& dims,
                                  const double* data) {
  PetscFunctionBeginUser;
  PetscCall(CreateDataset(path, dims));
  int rank;
  PetscCallMPI(MPI_Comm_rank(comm_, &rank));
  std::vector<hsize_t> offset(dims.size(), 0), count = dims;
  if (rank != 0) std::fill(count.begin(), count.end(), 0);
  PetscCall(WriteSlab(path, offset, count, data));
  PetscFunctionReturn(0);
}

PetscErrorCode H5File::ReadArray(const std::string& path, std::vector<hsize_t>* dims,
                                 std::vector<double>* data) const {
  PetscFunctionBeginUser;
  PetscCall(Dims(path, dims));
  hsize_t n = 1;
  for (hsize_t c : *dims) n *= c;
  data->resize(n);
  std::vector<hsize_t> offset(dims->size(), 0);
  PetscCall(ReadSlab(path, offset, *dims, data->data()));
  PetscFunctionReturn(0);
}

}  // namespace udeflow::io
