#pragma once
/// \file hdf5.hpp
/// A small RAII layer over parallel HDF5 (MPI-IO).  All calls are collective on the
/// file's communicator unless noted.  Files being written are created under
/// "<path>.partial" and renamed to <path> by Commit(); a file that is not committed
/// (an error, a crash of the run) is removed, so no half-written output is left.
/// Errors name the file and the object.
///
/// Integrity (docs/integrity.md): every file is written in HDF5's 1.10 file format,
/// whose metadata (superblock, object headers with their attributes, group and chunk
/// indexes) carry checksums, and every non-empty dataset is chunked with the Fletcher32
/// filter, so that HDF5 verifies each chunk of data as it reads it.  The root carries
/// udeflow_file_format (kFileFormat) and udeflow_file_kind ("model", "training state",
/// ...).  A damaged or truncated file is refused with one line naming the file and the
/// damaged object; a file without udeflow_file_format (written before it existed) is
/// read with a note that its contents cannot be verified.
#include <hdf5.h>
#include <petscsys.h>

#include <string>
#include <vector>

namespace udeflow::io {

/// The udeflow file format written (root attribute udeflow_file_format); a reader
/// refuses files of a newer format.
constexpr long long kFileFormat = 1;

/// What a file holds, in words ("model", "training state", ...), from its "format"
/// attribute (e.g. "udeflow-model-1"); "udeflow file" when unknown.
std::string FileKindOfFormat(const std::string& format);

class H5File {
 public:
  H5File() = default;
  ~H5File();
  H5File(const H5File&) = delete;
  H5File& operator=(const H5File&) = delete;

  /// Creates a new file for writing (truncating any previous one at Commit()).
  static PetscErrorCode Create(MPI_Comm comm, const std::string& path, H5File* file);
  /// Opens an existing file read-only; a missing or unreadable file is a user error
  /// naming `what` (e.g. "option -dataset").
  static PetscErrorCode Open(MPI_Comm comm, const std::string& path, const char* what,
                             H5File* file);
  /// Closes a file being written and moves it to its final name.
  PetscErrorCode Commit();
  /// Closes without committing (removes a partial file).
  PetscErrorCode Close();

  /// What the file holds in words: udeflow_file_kind, or for a file written before it
  /// existed, from the "format" attribute.
  std::string Kind() const;
  /// Sets udeflow_file_kind (by default Commit() derives it from "format").
  PetscErrorCode SetKind(const std::string& kind);
  /// An error naming the file and the object if an HDF5 call has found the file damaged
  /// (a failed checksum, a truncated file, an unreadable structure); 0 otherwise.  The
  /// read functions call it; a caller that probes with Exists()/HasAttr() alone and
  /// acts on "absent" calls it afterwards.
  PetscErrorCode CheckIntact() const;

  bool IsOpen() const { return fid_ >= 0; }
  const std::string& Path() const { return path_; }
  MPI_Comm Comm() const { return comm_; }

  bool Exists(const std::string& object) const;
  PetscErrorCode CreateGroup(const std::string& group);

  // Attributes on an object (group or dataset); "/" is the file root.
  PetscErrorCode WriteAttr(const std::string& object, const char* name, double value);
  PetscErrorCode WriteAttr(const std::string& object, const char* name, long long value);
  PetscErrorCode WriteAttr(const std::string& object, const char* name, const std::string& value);
  PetscErrorCode ReadAttr(const std::string& object, const char* name, double* value) const;
  PetscErrorCode ReadAttr(const std::string& object, const char* name, long long* value) const;
  PetscErrorCode ReadAttr(const std::string& object, const char* name, std::string* value) const;
  bool HasAttr(const std::string& object, const char* name) const;

  /// Small replicated arrays: every rank passes the same data; rank 0 writes.
  PetscErrorCode WriteArray(const std::string& path, const std::vector<hsize_t>& dims,
                            const double* data);
  /// Reads a whole dataset on every rank.
  PetscErrorCode ReadArray(const std::string& path, std::vector<hsize_t>* dims,
                           std::vector<double>* data) const;

  /// Distributed datasets: create with global dims, then each rank writes/reads its
  /// hyperslab (offset, count; a rank may pass count 0).
  PetscErrorCode CreateDataset(const std::string& path, const std::vector<hsize_t>& dims);
  PetscErrorCode WriteSlab(const std::string& path, const std::vector<hsize_t>& offset,
                           const std::vector<hsize_t>& count, const double* data);
  PetscErrorCode ReadSlab(const std::string& path, const std::vector<hsize_t>& offset,
                          const std::vector<hsize_t>& count, double* data) const;
  PetscErrorCode Dims(const std::string& path, std::vector<hsize_t>* dims) const;

 private:
  MPI_Comm comm_ = MPI_COMM_NULL;
  hid_t fid_ = -1;
  std::string path_, write_path_;
  bool writing_ = false;
  mutable std::string damage_;  // the first damaged object found (and HDF5's reason)
  void NoteDamage(const std::string& object) const;
  /// H5Dopen2 of an existing link; a failure other than "not a dataset" is damage.
  hid_t OpenDataset(const std::string& path) const;
  PetscErrorCode CheckFormat(const char* what);
};

/// Turns off HDF5's own error-stack printing (udeflow reports errors itself).
void Hdf5Quiet();

}  // namespace udeflow::io
