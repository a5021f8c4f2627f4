// .ssmpack container: round trip, and every kind of damage reported as FORMAT_ERROR by name.
#include <gtest/gtest.h>

#include "bytes.h"
#include "sample_pack.h"
#include "ssmrt/hash.h"
#include "ssmrt/pack.h"

using namespace ssmrt;
using ssmrt_test::sampleEntries;
using ssmrt_test::samplePackBytes;

namespace {

// Recomputes the header hash, so a test can damage the table on purpose and reach the
// check behind the hash.
void rehash(std::string &pack) {
  uint64_t h = fnv1a64(std::string_view(pack).substr(24));
  for (int i = 0; i < 8; ++i) pack[16 + i] = char((h >> (8 * i)) & 0xff);
}

// Byte position of entry `index`'s offset field in the table.
size_t entryOffsetField(const std::string &pack, int index) {
  size_t pos = 24;
  for (int i = 0;; ++i) {
    uint32_t nameLen = getU32(pack, pos);
    if (i == index) return pos + 4 + nameLen;
    pos += 4 + nameLen + 24;
  }
}

void putU64At(std::string &s, size_t pos, uint64_t v) {
  for (int i = 0; i < 8; ++i) s[pos + i] = char((v >> (8 * i)) & 0xff);
}

}  // namespace

TEST(Pack, RoundTripKeepsNamesBytesAndOrder) {
  std::vector<PackEntry> in = sampleEntries();
  in.push_back({"empty", ""});
  std::string bytes;
  ASSERT_TRUE(writePack(in, &bytes));
  EXPECT_EQ(bytes.substr(0, 8), std::string("SSMPACK\0", 8));
  EXPECT_EQ(getU32(bytes, 8), 1u);
  EXPECT_EQ(getU32(bytes, 12), in.size());

  std::vector<PackEntry> out;
  Status s = readPack(bytes, &out);
  ASSERT_TRUE(s) << s.message();
  ASSERT_EQ(out.size(), in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    EXPECT_EQ(out[i].name, in[i].name);
    EXPECT_EQ(out[i].bytes, in[i].bytes);
    // Blobs are 16-byte aligned so a loader can use them in place.
    uint64_t offset = getU64(bytes, entryOffsetField(bytes, int(i)));
    EXPECT_EQ(offset % 16, 0u) << in[i].name;
  }
  ASSERT_NE(findPackEntry(out, "cubin.sm_90"), nullptr);
  EXPECT_EQ(findPackEntry(out, "cubin.sm_90")->bytes.size(), 24u);  // embedded NULs survive
  EXPECT_EQ(findPackEntry(out, "cubin.sm_80"), nullptr);
}

TEST(Pack, FileRoundTrip) {
  ssmrt_test::ScratchDir dir;
  std::string path = dir.path() + "/a.ssmpack";
  ASSERT_TRUE(writePackFile(path, sampleEntries()));
  std::string bytes;
  ASSERT_TRUE(readFileBytes(path, &bytes));
  EXPECT_EQ(bytes, samplePackBytes());
  std::vector<PackEntry> out;
  EXPECT_TRUE(readPack(bytes, &out));
  Status missing = readFileBytes(dir.path() + "/nope.ssmpack", &bytes);
  EXPECT_EQ(missing.code(), SSMRT_NOT_FOUND);
  EXPECT_NE(missing.message().find("nope.ssmpack"), std::string::npos);
}

TEST(Pack, EmptyPackRoundTrips) {
  std::string bytes;
  ASSERT_TRUE(writePack({}, &bytes));
  EXPECT_EQ(bytes.size(), 24u);
  std::vector<PackEntry> out{{"stale", "x"}};
  ASSERT_TRUE(readPack(bytes, &out));
  EXPECT_TRUE(out.empty());
}

TEST(Pack, WriterRejectsEmptyAndDuplicateNames) {
  std::string bytes;
  Status s = writePack({{"a", "1"}, {"a", "2"}}, &bytes);
  EXPECT_EQ(s.code(), SSMRT_INVALID_ARGUMENT);
  EXPECT_NE(s.message().find("'a' appears twice"), std::string::npos) << s.message();
  EXPECT_EQ(writePack({{"", "1"}}, &bytes).code(), SSMRT_INVALID_ARGUMENT);
}

TEST(Pack, EveryTruncationIsAFormatError) {
  const std::string good = samplePackBytes();
  for (size_t n = 0; n < good.size(); ++n) {
    std::vector<PackEntry> out;
    Status s = readPack(std::string_view(good).substr(0, n), &out);
    ASSERT_EQ(s.code(), SSMRT_FORMAT_ERROR) << "cut at " << n;
    ASSERT_FALSE(s.message().empty());
  }
  std::vector<PackEntry> out;
  Status header = readPack(std::string_view(good).substr(0, 10), &out);
  EXPECT_EQ(header.message(), "truncated: the pack has 10 bytes but its header alone needs 24");
  Status table = readPack(std::string_view(good).substr(0, 30), &out);
  EXPECT_NE(table.message().find("truncated"), std::string::npos) << table.message();
  // Cut inside the last blob: that entry now reaches past the end.
  Status blob = readPack(std::string_view(good).substr(0, good.size() - 3), &out);
  EXPECT_NE(blob.message().find("entry 'ptx.sm_90' is out of bounds"), std::string::npos) << blob.message();
  EXPECT_NE(blob.message().find("damaged or truncated"), std::string::npos) << blob.message();
}

TEST(Pack, EverySingleBitFlipIsAFormatError) {
  const std::string good = samplePackBytes();
  for (size_t byte = 0; byte < good.size(); ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = good;
      bad[byte] = char(bad[byte] ^ (1 << bit));
      std::vector<PackEntry> out;
      Status s = readPack(bad, &out);
      ASSERT_EQ(s.code(), SSMRT_FORMAT_ERROR) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(Pack, FlipInABlobIsAHashMismatch) {
  std::string bad = samplePackBytes();
  bad[bad.size() - 2] ^= 0x10;  // inside the last blob
  std::vector<PackEntry> out;
  Status s = readPack(bad, &out);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message().rfind("hash mismatch: the pack's bytes hash to ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("(the file is damaged)"), std::string::npos);

  // With the header hash made consistent again, the blob's own hash still catches it.
  rehash(bad);
  s = readPack(bad, &out);
  EXPECT_EQ(s.message().rfind("hash mismatch in entry 'ptx.sm_90'", 0), 0u) << s.message();
}

TEST(Pack, BadMagic) {
  std::string bad = samplePackBytes();
  bad[0] = 'X';
  std::vector<PackEntry> out;
  Status s = readPack(bad, &out);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message(), "bad magic: not an .ssmpack (it starts with \"XSMPACK.\", expected \"SSMPACK\\0\")");
}

TEST(Pack, NewerVersionIsRefusedByName) {
  std::string bad = samplePackBytes();
  bad[8] = 7;
  std::vector<PackEntry> out;
  Status s = readPack(bad, &out);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message(), "format version 7 is newer than this runtime reads (1)");
  bad[8] = 0;
  EXPECT_EQ(readPack(bad, &out).message(), "format version 0 is not a valid version");
}

TEST(Pack, EntryOutOfBounds) {
  std::string bad = samplePackBytes();
  putU64At(bad, entryOffsetField(bad, 2), bad.size() - 4);  // cubin.sm_90, 24 bytes, 4 left
  rehash(bad);
  std::vector<PackEntry> out;
  Status s = readPack(bad, &out);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message(), "entry 'cubin.sm_90' is out of bounds: bytes [" + std::to_string(bad.size() - 4) +
                             ", " + std::to_string(bad.size() - 4) + " + 24) but the pack has " +
                             std::to_string(bad.size()) + " bytes");

  // An offset near 2^64 must not wrap around when the size is added.
  putU64At(bad, entryOffsetField(bad, 2), ~uint64_t(0) - 3);
  rehash(bad);
  s = readPack(bad, &out);
  EXPECT_NE(s.message().find("entry 'cubin.sm_90' is out of bounds"), std::string::npos) << s.message();

  // A blob that points into the entry table is out of bounds too.
  putU64At(bad, entryOffsetField(bad, 2), 30);
  rehash(bad);
  s = readPack(bad, &out);
  EXPECT_NE(s.message().find("inside the header and entry table"), std::string::npos) << s.message();
}

TEST(Pack, HugeEntryCountIsTruncationNotAnAllocation) {
  std::string bad = samplePackBytes();
  bad[12] = bad[13] = bad[14] = bad[15] = char(0xff);
  std::vector<PackEntry> out;
  Status s = readPack(bad, &out);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message().rfind("truncated: 4294967295 entries need at least", 0), 0u) << s.message();
}

TEST(Pack, DuplicateNamesInAFileAreRefused) {
  std::string bytes;
  ASSERT_TRUE(writePack({{"aa", "1"}, {"ab", "2"}}, &bytes));
  size_t second = entryOffsetField(bytes, 1) - 2;  // the name bytes of entry 1
  bytes[second + 1] = 'a';
  rehash(bytes);
  std::vector<PackEntry> out;
  Status s = readPack(bytes, &out);
  EXPECT_EQ(s.message(), "entry name 'aa' appears twice");
}

TEST(Hash, Fnv1a64KnownValues) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(fnv1a64(""), 0xcbf29ce484222325ull);
  EXPECT_EQ(fnv1a64("a"), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(fnv1a64("foobar"), 0x85944171f73967e8ull);
  EXPECT_EQ(fnv1a64("bar", fnv1a64("foo")), fnv1a64("foobar"));
}

TEST(Hash, Fnv128KnownValuesAndFieldSeparation) {
  Fnv128 empty;
  EXPECT_EQ(empty.hex(), "6c62272e07bb014262b821756295c58d");
  Fnv128 a;
  a.add("a");
  EXPECT_EQ(a.hex(), "d228cb696f1a8caf78912b704e4a8964");
  Fnv128 x, y;
  x.addField("ab");
  x.addField("c");
  y.addField("a");
  y.addField("bc");
  EXPECT_NE(x.hex(), y.hex());
  EXPECT_EQ(x.hex().size(), 32u);
}

TEST(Pack, TrailingBytesAreRefused) {
  std::string bad = samplePackBytes();
  bad += "extra";
  rehash(bad);
  std::vector<PackEntry> out;
  Status s = readPack(bad, &out);
  EXPECT_EQ(s.code(), SSMRT_FORMAT_ERROR);
  EXPECT_EQ(s.message(), "trailing bytes: the entries end at byte " + std::to_string(bad.size() - 5) +
                             " but the pack has " + std::to_string(bad.size()) + " bytes");
  // The entry count is not hashed: a count damaged downwards leaves blobs unaccounted for.
  bad = samplePackBytes();
  bad[12] = 3;
  s = readPack(bad, &out);
  EXPECT_EQ(s.message().rfind("trailing bytes", 0), 0u) << s.message();
}
