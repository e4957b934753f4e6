// SPDX-License-Identifier: Apache-2.0
// What one process remembers about tokens Redis has judged, so that a request
// Redis would refuse again is refused without a Redis call:
//
// - unknown tokens (the record script said "invalid token"), for a few
//   seconds: the same forged or revoked token sent again gets 401 at once;
// - known tokens (Redis knew them: accepted, duplicate, forbidden, rate
//   limited...), for a minute: a sender behind an address that is over its
//   budget of unknown tokens still reaches Redis with a token it has used;
// - credentials over their rate limit in a given second: later requests in
//   that same second get 429 at once.
//
// Entries are keyed by a token hash (TokenHash(): lowercase hex SHA-256);
// only its first 128 bits are kept, which no one can make collide with
// another token's hash. Every table is bounded: when full, its oldest entry
// (the one remembered first) is dropped. Expired entries count as absent.
//
// A token created after this process remembered it as unknown would be
// refused until the entry expires; tokens carry 190 random bits, so that can
// only happen when a keyspace is restored or migrated under a running
// server, and the time-to-live bounds it (docs/operations.md).
//
// Thread-safety: every member may be called from any thread (one mutex,
// held only for a table lookup or update, never across I/O).
#ifndef ONEP_REFUSAL_CACHE_H_
#define ONEP_REFUSAL_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string_view>
#include <unordered_map>

namespace onep {

struct RefusalCacheOptions {
  std::size_t capacity = 4096;         // entries per table
  int64_t unknown_ttl_ms = 10 * 1000;  // how long an unknown token is remembered
  int64_t known_ttl_ms = 60 * 1000;    // how long a known token is remembered
};

class RefusalCache {
 public:
  explicit RefusalCache(RefusalCacheOptions options = RefusalCacheOptions());
  RefusalCache(const RefusalCache&) = delete;
  RefusalCache& operator=(const RefusalCache&) = delete;

  // Redis called the token unknown at `now_ms`: remembered as unknown until
  // now_ms + unknown_ttl_ms, and no longer as known.
  void RememberUnknown(std::string_view token_hash, int64_t now_ms);
  bool IsUnknown(std::string_view token_hash, int64_t now_ms);

  // Redis knew the token at `now_ms`: remembered as known until now_ms +
  // known_ttl_ms, and no longer as unknown. A token already remembered as
  // known within the last second keeps its entry as it is (so until at least
  // now_ms + known_ttl_ms - 1000): a busy token costs no table update per
  // request.
  void RememberKnown(std::string_view token_hash, int64_t now_ms);
  bool IsKnown(std::string_view token_hash, int64_t now_ms);

  // Redis refused the token's credential for its rate limit `limit` in Unix
  // second `second` (the window of the record script's rate key).
  void RememberRateLimited(std::string_view token_hash, int64_t second, uint32_t limit);
  // True when, in Unix second `second`, a request with limit `limit` (> 0)
  // would be refused too: the same second, and a limit no higher than the
  // one already reached.
  bool IsRateLimited(std::string_view token_hash, int64_t second, uint32_t limit);

  // IsUnknown and IsRateLimited at once (one lookup of the token, one lock):
  // what a request with this token would get from Redis again, if known.
  enum class Refusal { kNone, kUnknownToken, kRateLimited };
  Refusal Check(std::string_view token_hash, int64_t now_ms, uint32_t limit);

  // Entries held (expired ones included until dropped), for tests.
  std::size_t UnknownSize();
  std::size_t KnownSize();
  std::size_t RateLimitedSize();

 private:
  struct Key {
    uint64_t high = 0, low = 0;
    bool operator==(const Key& other) const { return high == other.high && low == other.low; }
  };
  struct KeyHash {
    std::size_t operator()(const Key& key) const { return static_cast<std::size_t>(key.low); }
  };
  // A bounded table of key -> (a, b), oldest first.
  class Table {
   public:
    struct Value {
      int64_t a = 0;
      int64_t b = 0;
    };
    explicit Table(std::size_t capacity) : capacity_(capacity) {}
    // Inserts or replaces; a replaced entry becomes the newest.
    void Put(const Key& key, Value value);
    // The entry, or null; valid until the next call.
    const Value* Find(const Key& key) const;
    void Erase(const Key& key);
    // Drops the oldest entries while their `a` is below `bound`: the expired
    // ones, for a table whose `a` grows with the order of insertion.
    void DropOldestBelow(int64_t bound);
    std::size_t size() const { return map_.size(); }

   private:
    struct Entry {
      Value value;
      std::list<Key>::iterator age;  // its place in order_
    };
    std::size_t capacity_;
    std::unordered_map<Key, Entry, KeyHash> map_;
    std::list<Key> order_;  // oldest first
  };

  static Key KeyOf(std::string_view token_hash);
  // The lookups of IsUnknown and IsRateLimited, mu_ held.
  bool UnknownLocked(const Key& key, int64_t now_ms) const;
  bool RateLimitedLocked(const Key& key, int64_t second, uint32_t limit) const;

  const RefusalCacheOptions options_;
  std::mutex mu_;
  Table unknown_;       // guarded by mu_; a: expires at (ms)
  Table known_;         // guarded by mu_; a: expires at (ms)
  Table rate_limited_;  // guarded by mu_; a: the second, b: the limit reached
};

}  // namespace onep

#endif  // ONEP_REFUSAL_CACHE_H_
