#pragma once
/// \file registry.hpp
/// A named list of factories (PETSc's TSRegister pattern): one implementation per
/// file, one explicit RegisterAll() list per interface, the type picked by an option.
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace udeflow {

template <class Base>
class Registry {
 public:
  using Factory = std::function<std::unique_ptr<Base>()>;

  void Add(const std::string& name, const std::string& description, Factory factory) {
    for (auto& e : entries_)
      if (e.name == name) {
        e.description = description;
        e.factory = std::move(factory);
        return;
      }
    entries_.push_back({name, description, std::move(factory)});
  }
  bool Has(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return true;
    return false;
  }
  /// Returns nullptr for an unknown name.
  std::unique_ptr<Base> Create(const std::string& name) const {
    for (const auto& e : entries_)
      if (e.name == name) return e.factory();
    return nullptr;
  }
  /// "a, b, c": for error messages and -help.
  std::string Names() const {
    std::string s;
    for (const auto& e : entries_) s += (s.empty() ? "" : ", ") + e.name;
    return s;
  }
  std::vector<const char*> NameList() const {
    std::vector<const char*> v;
    for (const auto& e : entries_) v.push_back(e.name.c_str());
    return v;
  }
  const std::string& Description(const std::string& name) const {
    static const std::string none;
    for (const auto& e : entries_)
      if (e.name == name) return e.description;
    return none;
  }

 private:
  struct Entry {
    std::string name, description;
    Factory factory;
  };
  std::vector<Entry> entries_;
};

}  // namespace udeflow
