// Compiling one layer on a cold cache from several threads and several processes at once:
// one compile, one whole entry, every caller gets the same valid bytes; damaged entries are
// rebuilt under the same rules. NVRTC runs without a GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <mutex>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "sample_pack.h"
#include "ssmrt/cache.h"
#include "ssmrt/hash.h"
#include "ssmrt/nvrtc.h"

extern char **environ;

using namespace ssmrt;
using ssmrt_test::ScratchDir;

namespace {

// The request cache_race_helper.cpp compiles (kept identical so their keys agree).
NvrtcRequest raceRequest(const std::string &arch = "sm_90") {
  NvrtcRequest r;
  r.source = "#include \"ssmrt/abi.h\"\n"
             "extern \"C\" __global__ void ssm_race(ssm_launch_args a) {\n"
             "  float *y = (float *)a.tensors[0].data;\n"
             "  if (threadIdx.x < a.batch) y[threadIdx.x] = 2.0f * a.seqlen;\n"
             "}\n";
  r.name = "race.cu";
  r.options = {"-std=c++17"};
  r.arch = arch;
  return r;
}

std::vector<std::string> listDir(const std::string &dir) {
  std::vector<std::string> names;
  if (DIR *d = ::opendir(dir.c_str())) {
    while (dirent *e = ::readdir(d))
      if (std::string(e->d_name) != "." && std::string(e->d_name) != "..") names.push_back(e->d_name);
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string readAll(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void writeAll(const std::string &path, const std::string &bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << bytes;
}

// Runs `threads` calls of compileCudaCached at once (released together).
struct Race {
  std::vector<NvrtcResult> results;
  std::vector<Status> statuses;
  int compiled = 0;
};

Race compileFromThreads(const NvrtcRequest &req, DiskCache &cache, int threads) {
  Race race;
  race.results.resize(size_t(threads));
  race.statuses.resize(size_t(threads));
  std::mutex m;
  std::condition_variable cv;
  bool go = false;
  std::vector<std::thread> pool;
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&, i] {
      {
        std::unique_lock<std::mutex> lock(m);
        cv.wait(lock, [&] { return go; });
      }
      race.statuses[size_t(i)] = compileCudaCached(req, &cache, &race.results[size_t(i)]);
    });
  {
    std::lock_guard<std::mutex> lock(m);
    go = true;
  }
  cv.notify_all();
  for (auto &t : pool) t.join();
  for (const NvrtcResult &r : race.results) race.compiled += r.fromCache ? 0 : 1;
  return race;
}

bool isElf(const std::string &b) { return b.size() > 4 && b.compare(0, 4, "\x7f" "ELF") == 0; }

}  // namespace

TEST(CacheConcurrency, ThreadsOnAColdCacheCompileOnce) {
  ScratchDir dir;
  DiskCache cache(dir.path() + "/cold");  // not even the directory exists yet
  const NvrtcRequest req = raceRequest();
  Race race = compileFromThreads(req, cache, 6);
  for (size_t i = 0; i < race.results.size(); ++i) {
    ASSERT_TRUE(race.statuses[i]) << race.statuses[i].message();
    EXPECT_TRUE(isElf(race.results[i].binary));
    EXPECT_EQ(race.results[i].binary, race.results[0].binary) << "thread " << i;
  }
  EXPECT_EQ(race.compiled, 1) << "the others must wait for the first compile and load it";
  std::string key;
  ASSERT_TRUE(nvrtcCacheKey(req, &key));
  EXPECT_EQ(listDir(dir.path() + "/cold"), (std::vector<std::string>{key + ".bin", key + ".lock"}))
      << "one entry, its lock file, and no temporary files";
  std::string payload;
  ASSERT_TRUE(cache.load(key, &payload));
  EXPECT_EQ(payload, race.results[0].binary);
}

TEST(CacheConcurrency, ThreadsRebuildATruncatedEntryOnce) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  const NvrtcRequest req = raceRequest();
  NvrtcResult first;
  ASSERT_TRUE(compileCudaCached(req, &cache, &first));
  std::string key;
  ASSERT_TRUE(nvrtcCacheKey(req, &key));
  const std::string whole = readAll(cache.pathFor(key));
  writeAll(cache.pathFor(key), whole.substr(0, whole.size() / 2));
  Race race = compileFromThreads(req, cache, 5);
  for (size_t i = 0; i < race.results.size(); ++i) {
    ASSERT_TRUE(race.statuses[i]) << race.statuses[i].message();
    EXPECT_EQ(race.results[i].binary, first.binary) << "thread " << i;
  }
  EXPECT_EQ(race.compiled, 1);
  EXPECT_EQ(readAll(cache.pathFor(key)), whole) << "rebuilt whole";
}

TEST(CacheConcurrency, BitFlippedEntryIsRebuiltByTheNextCompile) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  const NvrtcRequest req = raceRequest("sm_80");
  NvrtcResult first;
  ASSERT_TRUE(compileCudaCached(req, &cache, &first));
  std::string key;
  ASSERT_TRUE(nvrtcCacheKey(req, &key));
  const std::string whole = readAll(cache.pathFor(key));
  for (size_t at : {size_t(3), size_t(20), size_t(45), whole.size() / 2, whole.size() - 1}) {
    std::string bad = whole;
    bad[at] = char(bad[at] ^ 0x10);
    writeAll(cache.pathFor(key), bad);
    NvrtcResult r;
    ASSERT_TRUE(compileCudaCached(req, &cache, &r));
    EXPECT_FALSE(r.fromCache) << "flip at " << at;
    EXPECT_NE(r.cacheNote.find("was damaged"), std::string::npos) << r.cacheNote;
    EXPECT_EQ(r.binary, first.binary);
    EXPECT_EQ(readAll(cache.pathFor(key)), whole) << "flip at " << at;
  }
}

TEST(CacheConcurrency, ProcessesOnAColdCacheCompileOnce) {
  ScratchDir dir;
  const std::string cacheDir = dir.path() + "/cache", start = dir.path() + "/start";
  constexpr int kProcesses = 4;
  std::vector<pid_t> pids;
  std::vector<std::string> outputs;
  for (int p = 0; p < kProcesses; ++p) {
    outputs.push_back(dir.path() + "/out." + std::to_string(p));
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, outputs.back().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    std::string helper = SSMRT_CACHE_RACE_HELPER;
    std::vector<char *> argv = {helper.data(), const_cast<char *>(cacheDir.c_str()),
                                const_cast<char *>(start.c_str()), nullptr};
    pid_t pid = -1;
    ASSERT_EQ(posix_spawn(&pid, helper.c_str(), &actions, nullptr, argv.data(), environ), 0) << helper;
    posix_spawn_file_actions_destroy(&actions);
    pids.push_back(pid);
  }
  writeAll(start, "go");
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  int compiled = 0;
  std::string hash;
  for (const std::string &out : outputs) {
    std::string line = readAll(out);
    ASSERT_GT(line.size(), 8u) << out;
    compiled += line.rfind("compiled ", 0) == 0;
    std::string h = line.substr(line.find(' ') + 1);
    if (hash.empty()) hash = h;
    EXPECT_EQ(h, hash) << "every process got the same bytes";
  }
  EXPECT_EQ(compiled, 1) << "one process compiles, the others load its entry";
  // This process finds the entry the helpers left, and it is whole.
  DiskCache cache(cacheDir);
  NvrtcResult r;
  ASSERT_TRUE(compileCudaCached(raceRequest(), &cache, &r));
  EXPECT_TRUE(r.fromCache);
  EXPECT_EQ(hex64(fnv1a64(r.binary)) + "\n", hash);
  std::string key;
  ASSERT_TRUE(nvrtcCacheKey(raceRequest(), &key));
  EXPECT_EQ(listDir(cacheDir), (std::vector<std::string>{key + ".bin", key + ".lock"}));
}

TEST(CacheConcurrency, EntryLockExcludesAndTimesOut) {
  ScratchDir dir;
  DiskCache cache(dir.path());
  DiskCache::EntryLock held = cache.lockEntry("k");
  ASSERT_TRUE(held.held());
  // Another holder (another descriptor, as another thread or process has) waits, then gives up.
  auto t0 = std::chrono::steady_clock::now();
  DiskCache::EntryLock second = cache.lockEntry("k", 50);
  EXPECT_FALSE(second.held());
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(50));
  EXPECT_TRUE(cache.lockEntry("other", 0).held()) << "keys lock independently";
  held = DiskCache::EntryLock();  // released
  EXPECT_TRUE(cache.lockEntry("k", 0).held());
  // Best effort: nothing to lock, but never an error.
  EXPECT_FALSE(DiskCache("").lockEntry("k").held());
  EXPECT_FALSE(cache.lockEntry("../escape").held());
  EXPECT_FALSE(DiskCache("/proc/ssmrt-no-such-dir").lockEntry("k", 0).held());
}

TEST(CacheConcurrency, DamagedEntriesRacingWithRewritesAreNeverReturned) {
  // Readers meet damaged and whole entries swapped in under them; a reader that found damage
  // removes the file only if it is still the one it read, and never returns bad bytes.
  ScratchDir dir;
  DiskCache cache(dir.path());
  ASSERT_TRUE(cache.store("k", "good payload"));
  std::atomic<bool> stop{false};
  std::atomic<int> lost{0};
  std::thread writer([&] {
    while (!stop) {
      writeAll(cache.pathFor("k") + ".bad", "damaged");
      ::rename((cache.pathFor("k") + ".bad").c_str(), cache.pathFor("k").c_str());
      ASSERT_TRUE(cache.store("k", "good payload"));
    }
  });
  for (int i = 0; i < 2000; ++i) {
    std::string payload;
    if (cache.load("k", &payload) && payload != "good payload") ++lost;
  }
  stop = true;
  writer.join();
  EXPECT_EQ(lost.load(), 0) << "a damaged entry is never returned";
  std::string payload;
  ASSERT_TRUE(cache.load("k", &payload));
  EXPECT_EQ(payload, "good payload");
}
