// SPDX-License-Identifier: Apache-2.0
#include "onep/refusal_cache.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "onep/token.h"

namespace onep {
namespace {

// A token hash (64 hex digits) of a number.
std::string HashOf(int n) { return TokenHash("token-" + std::to_string(n)); }

TEST(RefusalCacheTest, AnUnknownTokenIsRememberedUntilItsTimeToLiveEnds) {
  RefusalCache cache(RefusalCacheOptions{16, 10000, 60000});
  EXPECT_FALSE(cache.IsUnknown(HashOf(1), 1000));
  cache.RememberUnknown(HashOf(1), 1000);
  EXPECT_TRUE(cache.IsUnknown(HashOf(1), 1000));
  EXPECT_TRUE(cache.IsUnknown(HashOf(1), 10999));
  EXPECT_FALSE(cache.IsUnknown(HashOf(1), 11000));
  EXPECT_FALSE(cache.IsUnknown(HashOf(2), 1000));
  EXPECT_FALSE(cache.IsKnown(HashOf(1), 1000));
}

TEST(RefusalCacheTest, AKnownTokenIsRememberedForItsOwnTimeToLive) {
  RefusalCache cache(RefusalCacheOptions{16, 10000, 60000});
  cache.RememberKnown(HashOf(1), 1000);
  EXPECT_TRUE(cache.IsKnown(HashOf(1), 60999));
  EXPECT_FALSE(cache.IsKnown(HashOf(1), 61000));
  EXPECT_FALSE(cache.IsUnknown(HashOf(1), 1000));
}

TEST(RefusalCacheTest, AKnownTokenIsRefreshedAtMostOnceASecond) {
  RefusalCache cache(RefusalCacheOptions{16, 10000, 60000});
  cache.RememberKnown(HashOf(1), 1000);
  cache.RememberKnown(HashOf(1), 1999);  // within the second: the entry stays
  EXPECT_TRUE(cache.IsKnown(HashOf(1), 60999));
  EXPECT_FALSE(cache.IsKnown(HashOf(1), 61000));
  cache.RememberKnown(HashOf(1), 2000);  // a second later: refreshed
  EXPECT_TRUE(cache.IsKnown(HashOf(1), 61999));
  EXPECT_FALSE(cache.IsKnown(HashOf(1), 62000));
  // A token called unknown meanwhile is known again at once.
  cache.RememberUnknown(HashOf(1), 2100);
  cache.RememberKnown(HashOf(1), 2200);
  EXPECT_FALSE(cache.IsUnknown(HashOf(1), 2200));
  EXPECT_TRUE(cache.IsKnown(HashOf(1), 62199));
}

TEST(RefusalCacheTest, CheckSaysWhatIsUnknownAndIsRateLimitedSay) {
  using Refusal = RefusalCache::Refusal;
  RefusalCache cache(RefusalCacheOptions{16, 10000, 60000});
  EXPECT_EQ(cache.Check(HashOf(1), 100000, 5), Refusal::kNone);
  cache.RememberUnknown(HashOf(1), 100000);
  EXPECT_EQ(cache.Check(HashOf(1), 109999, 5), Refusal::kUnknownToken);
  EXPECT_EQ(cache.Check(HashOf(1), 110000, 5), Refusal::kNone);
  cache.RememberRateLimited(HashOf(2), 100, 5);
  EXPECT_EQ(cache.Check(HashOf(2), 100999, 5), Refusal::kRateLimited);
  EXPECT_EQ(cache.Check(HashOf(2), 100000, 4), Refusal::kRateLimited);
  EXPECT_EQ(cache.Check(HashOf(2), 100000, 6), Refusal::kNone);  // a higher limit
  EXPECT_EQ(cache.Check(HashOf(2), 100000, 0), Refusal::kNone);  // no limit
  EXPECT_EQ(cache.Check(HashOf(2), 101000, 5), Refusal::kNone);  // the next second
  EXPECT_EQ(cache.Check(HashOf(3), 100000, 5), Refusal::kNone);
}

TEST(RefusalCacheTest, KnownAndUnknownReplaceEachOther) {
  RefusalCache cache(RefusalCacheOptions{16, 10000, 60000});
  cache.RememberKnown(HashOf(1), 1000);
  cache.RememberUnknown(HashOf(1), 2000);  // e.g. deleted meanwhile
  EXPECT_FALSE(cache.IsKnown(HashOf(1), 2000));
  EXPECT_TRUE(cache.IsUnknown(HashOf(1), 2000));
  cache.RememberKnown(HashOf(1), 3000);  // e.g. restored
  EXPECT_TRUE(cache.IsKnown(HashOf(1), 3000));
  EXPECT_FALSE(cache.IsUnknown(HashOf(1), 3000));
}

TEST(RefusalCacheTest, AFullTableDropsTheOldestEntryFirst) {
  RefusalCache cache(RefusalCacheOptions{4, 10000, 60000});
  for (int i = 0; i < 4; ++i) cache.RememberUnknown(HashOf(i), 1000 + i);
  // Remembering 1 again makes it the newest; 0 is now the oldest.
  cache.RememberUnknown(HashOf(1), 1010);
  cache.RememberUnknown(HashOf(4), 1011);
  EXPECT_EQ(cache.UnknownSize(), 4u);
  EXPECT_FALSE(cache.IsUnknown(HashOf(0), 1011));
  for (int i : {1, 2, 3, 4}) EXPECT_TRUE(cache.IsUnknown(HashOf(i), 1011)) << i;
  cache.RememberUnknown(HashOf(5), 1012);
  EXPECT_FALSE(cache.IsUnknown(HashOf(2), 1012));
  EXPECT_TRUE(cache.IsUnknown(HashOf(1), 1012));
  EXPECT_EQ(cache.UnknownSize(), 4u);
}

TEST(RefusalCacheTest, ExpiredEntriesAreDroppedWhenANewOneComes) {
  RefusalCache cache(RefusalCacheOptions{100, 10000, 60000});
  for (int i = 0; i < 50; ++i) cache.RememberUnknown(HashOf(i), 1000);
  EXPECT_EQ(cache.UnknownSize(), 50u);
  cache.RememberUnknown(HashOf(99), 11000);  // every earlier one has expired
  EXPECT_EQ(cache.UnknownSize(), 1u);
}

TEST(RefusalCacheTest, ARateLimitedCredentialIsRefusedOnlyInThatSecondAndForNoHigherLimit) {
  RefusalCache cache;
  EXPECT_FALSE(cache.IsRateLimited(HashOf(1), 100, 5));
  cache.RememberRateLimited(HashOf(1), 100, 5);
  EXPECT_TRUE(cache.IsRateLimited(HashOf(1), 100, 5));
  EXPECT_TRUE(cache.IsRateLimited(HashOf(1), 100, 2));   // a lower limit: over it too
  EXPECT_FALSE(cache.IsRateLimited(HashOf(1), 100, 6));  // a higher one may still pass
  EXPECT_FALSE(cache.IsRateLimited(HashOf(1), 100, 0));  // no limit
  EXPECT_FALSE(cache.IsRateLimited(HashOf(1), 101, 5));  // the next window
  EXPECT_FALSE(cache.IsRateLimited(HashOf(1), 99, 5));
  EXPECT_FALSE(cache.IsRateLimited(HashOf(2), 100, 5));
  cache.RememberRateLimited(HashOf(2), 100, 0);  // no limit: nothing to remember
  EXPECT_EQ(cache.RateLimitedSize(), 1u);
  cache.RememberRateLimited(HashOf(3), 101, 5);  // the second of 1 has passed
  EXPECT_EQ(cache.RateLimitedSize(), 1u);
}

TEST(RefusalCacheTest, ARateLimitedTableIsBounded) {
  RefusalCache cache(RefusalCacheOptions{8, 10000, 60000});
  for (int i = 0; i < 100; ++i) cache.RememberRateLimited(HashOf(i), 100, 1);
  EXPECT_EQ(cache.RateLimitedSize(), 8u);
  EXPECT_TRUE(cache.IsRateLimited(HashOf(99), 100, 1));
  EXPECT_FALSE(cache.IsRateLimited(HashOf(91), 100, 1));
}

TEST(RefusalCacheTest, ThreadsShareOneCacheSafely) {
  RefusalCache cache(RefusalCacheOptions{256, 10000, 60000});
  constexpr int kThreads = 8;
  constexpr int kPerThread = 2000;
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        const std::string hash = HashOf(t * kPerThread + i);
        cache.RememberUnknown(hash, 1000);
        cache.RememberKnown(HashOf(-1 - t), 1000);
        cache.RememberRateLimited(hash, 100, 1);
        // What this thread just wrote is there, unless 256 newer entries of
        // other threads pushed it out: never the other kind.
        if (cache.IsKnown(hash, 1000)) ++wrong;
        if (cache.IsUnknown(HashOf(-1 - t), 1000)) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.UnknownSize(), 256u);
  EXPECT_LE(cache.RateLimitedSize(), 256u);
  EXPECT_EQ(cache.KnownSize(), static_cast<std::size_t>(kThreads));
}

}  // namespace
}  // namespace onep
