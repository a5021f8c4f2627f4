// Parsing, checking and writing manifest.json (schema in runtime/FORMAT.md).
#include "ssmrt/manifest.h"

#include <set>

#include <nlohmann/json.hpp>

#include "ssmrt/abi.h"

namespace ssmrt {

using json = nlohmann::json;

bool parseDtype(std::string_view text, ssmrt_dtype *out_dtype) {
  static const std::pair<const char *, ssmrt_dtype> kNames[] = {
      {"f32", SSMRT_DTYPE_F32}, {"f16", SSMRT_DTYPE_F16},
      {"bf16", SSMRT_DTYPE_BF16}, {"c64", SSMRT_DTYPE_C64}};
  for (const auto &[name, dtype] : kNames) {
    if (text == name) {
      *out_dtype = dtype;
      return true;
    }
  }
  return false;
}

const char *roleName(ssmrt_role role) {
  switch (role) {
    case SSMRT_ROLE_IN: return "in";
    case SSMRT_ROLE_PARAM: return "param";
    case SSMRT_ROLE_OUT: return "out";
  }
  return "invalid";
}

int64_t ManifestLayer::dimValue(std::string_view dim) const {
  for (const auto &[name, value] : dims)
    if (name == dim) return value;
  return -1;
}

std::string ManifestLayer::locationString() const {
  if (source.file.empty() && source.line == 0) return "<unknown location>";
  return source.file + ":" + std::to_string(source.line) + ":" + std::to_string(source.col);
}

namespace {

// Thrown inside the parser only, caught at its entry; carries the path of the bad field.
struct ManifestError {
  std::string message;
};

[[noreturn]] void fail(const std::string &where, const std::string &what) {
  throw ManifestError{"manifest: " + (where.empty() ? "" : where + ": ") + what};
}

const json &field(const json &obj, const char *key, const std::string &where) {
  auto it = obj.find(key);
  if (it == obj.end()) fail(where, std::string("missing \"") + key + "\"");
  return *it;
}

std::string getString(const json &v, const std::string &where) {
  if (!v.is_string()) fail(where, "expected a string, got " + v.dump());
  return v.get<std::string>();
}

int64_t getInt(const json &v, const std::string &where, int64_t lo, int64_t hi) {
  if (!v.is_number_integer()) fail(where, "expected an integer, got " + v.dump());
  // Unsigned values above INT64_MAX are out of every range we accept.
  if (v.is_number_unsigned() && v.get<uint64_t>() > uint64_t(INT64_MAX))
    fail(where, v.dump() + " is out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  int64_t x = v.get<int64_t>();
  if (x < lo || x > hi)
    fail(where, std::to_string(x) + " is out of range [" + std::to_string(lo) + ", " +
                    std::to_string(hi) + "]");
  return x;
}

bool getBool(const json &v, const std::string &where) {
  if (!v.is_boolean()) fail(where, "expected true or false, got " + v.dump());
  return v.get<bool>();
}

const json &getArray(const json &v, const std::string &where) {
  if (!v.is_array()) fail(where, "expected an array, got " + v.dump());
  return v;
}

std::vector<std::string> getStrings(const json &v, const std::string &where) {
  std::vector<std::string> out;
  const json &a = getArray(v, where);
  for (size_t i = 0; i < a.size(); ++i)
    out.push_back(getString(a[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

ssmrt_dtype getDtype(const json &v, const std::string &where) {
  std::string s = getString(v, where);
  ssmrt_dtype d;
  if (!parseDtype(s, &d)) fail(where, "unknown dtype '" + s + "' (expected f32, f16, bf16 or c64)");
  return d;
}

GridRule parseGrid(const json &v, const std::string &where) {
  if (!v.is_object()) fail(where, "expected a GRIDDIM object, got " + v.dump());
  GridRule g;
  g.units = getInt(field(v, "units", where), where + ".units", 1, INT64_MAX);
  if (v.contains("batch")) g.batch = getBool(v["batch"], where + ".batch");
  if (v.contains("seq_chunk")) g.seqChunk = getInt(v["seq_chunk"], where + ".seq_chunk", 0, INT64_MAX);
  if (v.contains("per_block")) g.perBlock = getInt(v["per_block"], where + ".per_block", 1, INT64_MAX);
  return g;
}

ManifestLaunch parseLaunch(const json &v, const std::string &where) {
  if (!v.is_object()) fail(where, "expected a launch object, got " + v.dump());
  ManifestLaunch l;
  l.kernel = getString(field(v, "kernel", where), where + ".kernel");
  if (v.contains("small_grid_kernel")) {
    l.smallGridKernel = getString(v["small_grid_kernel"], where + ".small_grid_kernel");
    if (l.smallGridKernel.empty()) fail(where + ".small_grid_kernel", "empty kernel name");
  }
  const json &block = getArray(field(v, "block", where), where + ".block");
  if (block.size() != 3) fail(where + ".block", "expected 3 numbers, got " + block.dump());
  for (int i = 0; i < 3; ++i)
    l.block[i] = uint32_t(getInt(block[i], where + ".block[" + std::to_string(i) + "]", 1, 1024));
  if (v.contains("smem")) l.smem = uint32_t(getInt(v["smem"], where + ".smem", 0, UINT32_MAX));
  const json &grid = getArray(field(v, "grid", where), where + ".grid");
  if (grid.size() != 3) fail(where + ".grid", "expected 3 GRIDDIMs, got " + std::to_string(grid.size()));
  for (int i = 0; i < 3; ++i) l.grid[i] = parseGrid(grid[i], where + ".grid[" + std::to_string(i) + "]");
  if (v.contains("workspace")) {
    const json &w = v["workspace"];
    std::string ww = where + ".workspace";
    if (!w.is_object()) fail(ww, "expected an object, got " + w.dump());
    l.workspace.bytes = getInt(field(w, "bytes", ww), ww + ".bytes", 0, INT64_MAX);
    if (w.contains("batch")) l.workspace.batch = getBool(w["batch"], ww + ".batch");
    if (w.contains("seq_chunk"))
      l.workspace.seqChunk = getInt(w["seq_chunk"], ww + ".seq_chunk", 0, INT64_MAX);
  }
  return l;
}

ManifestLayer parseLayer(const json &v, const std::string &where0) {
  if (!v.is_object()) fail(where0, "expected a layer object, got " + v.dump());
  ManifestLayer layer;
  layer.name = getString(field(v, "name", where0), where0 + ".name");
  const std::string where = where0 + " '" + layer.name + "'";

  if (v.contains("source")) {
    const json &s = v["source"];
    if (!s.is_object()) fail(where + ": source", "expected an object, got " + s.dump());
    if (s.contains("file")) layer.source.file = getString(s["file"], where + ": source.file");
    if (s.contains("line")) layer.source.line = int32_t(getInt(s["line"], where + ": source.line", 0, INT32_MAX));
    if (s.contains("col")) layer.source.col = int32_t(getInt(s["col"], where + ": source.col", 0, INT32_MAX));
  }

  const json &dims = getArray(field(v, "dims", where), where + ": dims");
  for (size_t i = 0; i < dims.size(); ++i) {
    std::string w = where + ": dims[" + std::to_string(i) + "]";
    if (!dims[i].is_array() || dims[i].size() != 2)
      fail(w, "expected [name, value], got " + dims[i].dump());
    layer.dims.emplace_back(getString(dims[i][0], w), getInt(dims[i][1], w, 1, INT64_MAX));
  }

  const json &tensors = getArray(field(v, "tensors", where), where + ": tensors");
  for (size_t i = 0; i < tensors.size(); ++i) {
    std::string w = where + ": tensors[" + std::to_string(i) + "]";
    const json &t = tensors[i];
    if (!t.is_object()) fail(w, "expected an object, got " + t.dump());
    ManifestTensor mt;
    mt.name = getString(field(t, "name", w), w + ".name");
    std::string role = getString(field(t, "role", w), w + ".role");
    if (role == "in") mt.role = SSMRT_ROLE_IN;
    else if (role == "param") mt.role = SSMRT_ROLE_PARAM;
    else if (role == "out") mt.role = SSMRT_ROLE_OUT;
    else fail(w + ".role", "unknown role '" + role + "' (expected in, param or out)");
    mt.dtype = getDtype(field(t, "dtype", w), w + ".dtype");
    mt.dims = getStrings(field(t, "dims", w), w + ".dims");
    layer.tensors.push_back(std::move(mt));
  }

  if (v.contains("states")) {
    const json &states = getArray(v["states"], where + ": states");
    for (size_t i = 0; i < states.size(); ++i) {
      std::string w = where + ": states[" + std::to_string(i) + "]";
      const json &s = states[i];
      if (!s.is_object()) fail(w, "expected an object, got " + s.dump());
      ManifestState ms;
      ms.name = getString(field(s, "name", w), w + ".name");
      ms.dtype = getDtype(field(s, "dtype", w), w + ".dtype");
      ms.dims = getStrings(field(s, "dims", w), w + ".dims");
      layer.states.push_back(std::move(ms));
    }
  }

  if (v.contains("facts")) {
    const json &f = v["facts"];
    if (!f.is_object()) fail(where + ": facts", "expected an object, got " + f.dump());
    for (auto it = f.begin(); it != f.end(); ++it)
      layer.facts[it.key()] = getBool(it.value(), where + ": facts." + it.key());
  }
  if (v.contains("strategy")) layer.strategy = getString(v["strategy"], where + ": strategy");

  if (v.contains("entries")) {
    const json &e = v["entries"];
    if (!e.is_object()) fail(where + ": entries", "expected an object, got " + e.dump());
    const std::pair<const char *, std::vector<ManifestLaunch> *> lists[] = {
        {"forward", &layer.forward},
        {"step", &layer.step},
        {"forward_index32", &layer.forwardIndex32},
        {"step_index32", &layer.stepIndex32}};
    for (const auto &[entry, dst] : lists) {
      if (!e.contains(entry)) continue;
      std::string w = where + ": entries." + entry;
      const json &launches = getArray(e[entry], w);
      for (size_t i = 0; i < launches.size(); ++i)
        dst->push_back(parseLaunch(launches[i], w + "[" + std::to_string(i) + "]"));
    }
  }
  return layer;
}

std::string withArticle(ssmrt_role role) {
  return std::string(role == SSMRT_ROLE_PARAM ? "a " : "an ") + roleName(role);
}

// The checks that do not depend on JSON, shared by parseManifest and checkManifest.
void checkLayer(const ManifestLayer &layer, const std::string &where0) {
  if (layer.name.empty()) fail(where0, "empty layer name");
  const std::string where = where0 + " '" + layer.name + "'";

  std::set<std::string> dimNames;
  for (const auto &[name, value] : layer.dims) {
    if (name.empty()) fail(where + ": dims", "empty dim name");
    if (!dimNames.insert(name).second) fail(where + ": dims", "dim '" + name + "' is declared twice");
    if (value < 1) fail(where + ": dims", "dim '" + name + "' is " + std::to_string(value) + "; dims must be >= 1");
  }

  std::set<std::string> names;
  bool hasInOut = false;
  for (size_t i = 0; i < layer.tensors.size(); ++i) {
    const ManifestTensor &t = layer.tensors[i];
    std::string w = where + ": tensors[" + std::to_string(i) + "] '" + t.name + "'";
    if (t.name.empty()) fail(w, "empty tensor name");
    if (!names.insert(t.name).second) fail(w, "the name '" + t.name + "' is used twice");
    if (i > 0 && t.role < layer.tensors[i - 1].role)
      fail(w, withArticle(t.role) + " after " + withArticle(layer.tensors[i - 1].role) +
                  ": tensors must be ins, then params, then outs (the ABI slot order)");
    if (ssmrt_dtype_size(t.dtype) == 0) fail(w, "invalid dtype");
    for (const std::string &d : t.dims)
      if (!dimNames.count(d)) fail(w, "dim '" + d + "' is not a dim of the layer");
    size_t rank = t.dims.size() + (t.role == SSMRT_ROLE_PARAM ? 0 : 2);
    if (rank > SSM_MAX_RANK)
      fail(w, "rank " + std::to_string(rank) + " exceeds the ABI's " + std::to_string(SSM_MAX_RANK) +
                  (t.role == SSMRT_ROLE_PARAM ? "" : " (batch and seqlen count)"));
    if (t.role != SSMRT_ROLE_PARAM) hasInOut = true;
  }
  if (layer.tensors.size() > SSM_MAX_TENSORS)
    fail(where, std::to_string(layer.tensors.size()) + " tensors exceed the ABI's " +
                    std::to_string(SSM_MAX_TENSORS));
  if (!hasInOut) fail(where, "no in or out tensor (the batch size of a call comes from them)");

  for (size_t i = 0; i < layer.states.size(); ++i) {
    const ManifestState &s = layer.states[i];
    std::string w = where + ": states[" + std::to_string(i) + "] '" + s.name + "'";
    if (s.name.empty()) fail(w, "empty state name");
    if (!names.insert(s.name).second) fail(w, "the name '" + s.name + "' is used twice");
    if (s.dtype != SSMRT_DTYPE_F32 && s.dtype != SSMRT_DTYPE_C64)
      fail(w, std::string("dtype ") + ssmrt_dtype_name(s.dtype) + ": states are stored as f32 or c64");
    for (const std::string &d : s.dims)
      if (!dimNames.count(d)) fail(w, "dim '" + d + "' is not a dim of the layer");
    if (s.dims.size() + 1 > SSM_MAX_RANK) fail(w, "too many dims");
  }
  if (layer.states.size() > SSM_MAX_STATES)
    fail(where, std::to_string(layer.states.size()) + " states exceed the ABI's " +
                    std::to_string(SSM_MAX_STATES));

  for (const ManifestLayer::EntryList &list : layer.entryLists()) {
    const std::vector<ManifestLaunch> *entry = list.launches;
    std::string w0 = where + ": entries." + list.key;
    for (size_t i = 0; i < entry->size(); ++i) {
      const ManifestLaunch &l = (*entry)[i];
      std::string w = w0 + "[" + std::to_string(i) + "]";
      if (l.kernel.empty()) fail(w, "empty kernel name");
      if (l.smallGridKernel == l.kernel) fail(w + ".small_grid_kernel", "names the launch's own kernel");
      uint64_t threads = uint64_t(l.block[0]) * l.block[1] * l.block[2];
      if (l.block[0] == 0 || l.block[1] == 0 || l.block[2] == 0 || threads > 1024)
        fail(w, "block [" + std::to_string(l.block[0]) + ", " + std::to_string(l.block[1]) + ", " +
                    std::to_string(l.block[2]) + "] is not 1 to 1024 threads");
      for (int k = 0; k < 3; ++k) {
        const GridRule &g = l.grid[k];
        if (g.units < 1 || g.perBlock < 1 || g.seqChunk < 0)
          fail(w + ".grid[" + std::to_string(k) + "]", "units and per_block must be >= 1, seq_chunk >= 0");
      }
      if (l.workspace.bytes < 0 || l.workspace.seqChunk < 0)
        fail(w + ".workspace", "bytes and seq_chunk must be >= 0");
    }
  }
  // An index32 list is an alternative the runtime may take, never the only way to run an
  // entry: a call whose offsets pass 2^31 needs the 64-bit kernels.
  if (!layer.forwardIndex32.empty() && layer.forward.empty())
    fail(where + ": entries.forward_index32", "given without \"forward\" (the 64-bit entry it stands in for)");
  if (!layer.stepIndex32.empty() && layer.step.empty())
    fail(where + ": entries.step_index32", "given without \"step\" (the 64-bit entry it stands in for)");
}

void checkWhole(const Manifest &m) {
  if (m.version < 1 || m.version > kManifestVersion)
    fail("", "version " + std::to_string(m.version) + " is not one this runtime reads (1 to " +
                 std::to_string(kManifestVersion) + ")");
  if (m.abi != SSM_ABI_VERSION)
    fail("", "the kernels use ABI version " + std::to_string(m.abi) + " but this runtime provides " +
                 std::to_string(SSM_ABI_VERSION));
  if (m.layers.empty()) fail("", "no layers");
  std::set<std::string> names;
  for (size_t i = 0; i < m.layers.size(); ++i) {
    std::string w = "layers[" + std::to_string(i) + "]";
    checkLayer(m.layers[i], w);
    if (!names.insert(m.layers[i].name).second)
      fail(w, "layer name '" + m.layers[i].name + "' is used twice");
  }
}

}  // namespace

Status parseManifest(std::string_view text, Manifest *out_manifest) {
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::parse_error &e) {
    return formatError(std::string("manifest: not valid JSON: ") + e.what());
  }
  try {
    if (!root.is_object()) fail("", "expected a JSON object at the top");
    Manifest m;
    std::string format = getString(field(root, "format", ""), "format");
    if (format != "ssmpack") fail("format", "is '" + format + "', expected 'ssmpack'");
    m.version = int(getInt(field(root, "version", ""), "version", 0, INT32_MAX));
    if (m.version > kManifestVersion)
      fail("", "version " + std::to_string(m.version) + " is newer than this runtime reads (" +
                   std::to_string(kManifestVersion) + ")");
    m.abi = int(getInt(field(root, "abi", ""), "abi", 0, INT32_MAX));
    if (root.contains("compiler")) m.compiler = getString(root["compiler"], "compiler");
    if (root.contains("nvrtc_options")) m.nvrtcOptions = getStrings(root["nvrtc_options"], "nvrtc_options");
    const json &layers = getArray(field(root, "layers", ""), "layers");
    for (size_t i = 0; i < layers.size(); ++i)
      m.layers.push_back(parseLayer(layers[i], "layers[" + std::to_string(i) + "]"));
    checkWhole(m);
    *out_manifest = std::move(m);
    return Status::ok();
  } catch (const ManifestError &e) {
    return formatError(e.message);
  } catch (const json::exception &e) {
    return formatError(std::string("manifest: ") + e.what());
  }
}

Status checkManifest(const Manifest &manifest) {
  try {
    checkWhole(manifest);
    return Status::ok();
  } catch (const ManifestError &e) {
    return formatError(e.message);
  }
}

std::string writeManifest(const Manifest &m) {
  using ojson = nlohmann::ordered_json;
  auto dims = [](const std::vector<std::string> &d) { return ojson(d); };
  auto launches = [](const std::vector<ManifestLaunch> &ls) {
    ojson arr = ojson::array();
    for (const ManifestLaunch &l : ls) {
      ojson grid = ojson::array();
      for (const GridRule &g : l.grid)
        grid.push_back({{"units", g.units}, {"batch", g.batch}, {"seq_chunk", g.seqChunk},
                        {"per_block", g.perBlock}});
      arr.push_back({{"kernel", l.kernel},
                     {"block", {l.block[0], l.block[1], l.block[2]}},
                     {"smem", l.smem},
                     {"grid", grid},
                     {"workspace", {{"bytes", l.workspace.bytes}, {"batch", l.workspace.batch},
                                    {"seq_chunk", l.workspace.seqChunk}}}});
      if (!l.smallGridKernel.empty()) arr.back()["small_grid_kernel"] = l.smallGridKernel;
    }
    return arr;
  };
  ojson root;
  root["format"] = "ssmpack";
  root["version"] = m.version;
  root["abi"] = m.abi;
  root["compiler"] = m.compiler;
  root["nvrtc_options"] = m.nvrtcOptions;
  root["layers"] = ojson::array();
  for (const ManifestLayer &layer : m.layers) {
    ojson l;
    l["name"] = layer.name;
    l["source"] = {{"file", layer.source.file}, {"line", layer.source.line}, {"col", layer.source.col}};
    l["dims"] = ojson::array();
    for (const auto &[name, value] : layer.dims) l["dims"].push_back(ojson::array({name, value}));
    l["tensors"] = ojson::array();
    for (const ManifestTensor &t : layer.tensors)
      l["tensors"].push_back({{"name", t.name}, {"role", roleName(t.role)},
                              {"dtype", ssmrt_dtype_name(t.dtype)}, {"dims", dims(t.dims)}});
    l["states"] = ojson::array();
    for (const ManifestState &s : layer.states)
      l["states"].push_back({{"name", s.name}, {"dtype", ssmrt_dtype_name(s.dtype)}, {"dims", dims(s.dims)}});
    l["facts"] = ojson::object();
    for (const auto &[k, v] : layer.facts) l["facts"][k] = v;
    l["strategy"] = layer.strategy;
    l["entries"] = ojson::object();
    if (!layer.forward.empty()) l["entries"]["forward"] = launches(layer.forward);
    if (!layer.step.empty()) l["entries"]["step"] = launches(layer.step);
    if (!layer.forwardIndex32.empty()) l["entries"]["forward_index32"] = launches(layer.forwardIndex32);
    if (!layer.stepIndex32.empty()) l["entries"]["step_index32"] = launches(layer.stepIndex32);
    root["layers"].push_back(std::move(l));
  }
  return root.dump(2) + "\n";
}

}  // namespace ssmrt
