// SPDX-License-Identifier: Apache-2.0
#include "onep/refusal_cache.h"

#include <array>
#include <iterator>

namespace onep {

void RefusalCache::Table::Put(const Key& key, Value value) {
  if (capacity_ == 0) return;
  auto found = map_.find(key);
  if (found != map_.end()) {
    order_.erase(found->second.age);
    map_.erase(found);
  }
  while (map_.size() >= capacity_) {
    map_.erase(order_.front());
    order_.pop_front();
  }
  order_.push_back(key);
  map_.emplace(key, Entry{value, std::prev(order_.end())});
}

const RefusalCache::Table::Value* RefusalCache::Table::Find(const Key& key) const {
  auto found = map_.find(key);
  return found == map_.end() ? nullptr : &found->second.value;
}

void RefusalCache::Table::Erase(const Key& key) {
  auto found = map_.find(key);
  if (found == map_.end()) return;
  order_.erase(found->second.age);
  map_.erase(found);
}

void RefusalCache::Table::DropOldestBelow(int64_t bound) {
  while (!order_.empty()) {
    auto oldest = map_.find(order_.front());
    if (oldest->second.value.a >= bound) return;
    map_.erase(oldest);
    order_.pop_front();
  }
}

RefusalCache::RefusalCache(RefusalCacheOptions options)
    : options_(options),
      unknown_(options.capacity),
      known_(options.capacity),
      rate_limited_(options.capacity) {}

RefusalCache::Key RefusalCache::KeyOf(std::string_view token_hash) {
  // The first 32 hex digits; anything else (not expected) folds in as is.
  static constexpr auto kDigit = [] {
    std::array<uint8_t, 256> digit{};
    for (int c = 0; c < 256; ++c) digit[c] = static_cast<uint8_t>(c);
    for (int c = '0'; c <= '9'; ++c) digit[c] = static_cast<uint8_t>(c - '0');
    for (int c = 'a'; c <= 'f'; ++c) digit[c] = static_cast<uint8_t>(c - 'a' + 10);
    return digit;
  }();
  Key key;
  const std::size_t n = token_hash.size() < 32 ? token_hash.size() : 32;
  for (std::size_t i = 0; i < n; ++i) {
    uint64_t& half = i < 16 ? key.high : key.low;
    half = (half << 4) ^ kDigit[static_cast<unsigned char>(token_hash[i])];
  }
  return key;
}

void RefusalCache::RememberUnknown(std::string_view token_hash, int64_t now_ms) {
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  known_.Erase(key);
  unknown_.DropOldestBelow(now_ms + 1);
  unknown_.Put(key, {now_ms + options_.unknown_ttl_ms, 0});
}

bool RefusalCache::UnknownLocked(const Key& key, int64_t now_ms) const {
  const Table::Value* entry = unknown_.Find(key);
  return entry != nullptr && now_ms < entry->a;
}

bool RefusalCache::IsUnknown(std::string_view token_hash, int64_t now_ms) {
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  return UnknownLocked(key, now_ms);
}

void RefusalCache::RememberKnown(std::string_view token_hash, int64_t now_ms) {
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  // Remembered as known within the last second: it is in no other table
  // (RememberUnknown drops it from this one), and its entry stays.
  if (const Table::Value* entry = known_.Find(key);
      entry != nullptr && entry->a > now_ms + options_.known_ttl_ms - 1000) {
    return;
  }
  unknown_.Erase(key);
  known_.DropOldestBelow(now_ms + 1);
  known_.Put(key, {now_ms + options_.known_ttl_ms, 0});
}

bool RefusalCache::IsKnown(std::string_view token_hash, int64_t now_ms) {
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  const Table::Value* entry = known_.Find(key);
  return entry != nullptr && now_ms < entry->a;
}

void RefusalCache::RememberRateLimited(std::string_view token_hash, int64_t second,
                                       uint32_t limit) {
  if (limit == 0) return;
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  rate_limited_.DropOldestBelow(second);
  rate_limited_.Put(key, {second, limit});
}

bool RefusalCache::RateLimitedLocked(const Key& key, int64_t second, uint32_t limit) const {
  if (limit == 0) return false;
  const Table::Value* entry = rate_limited_.Find(key);
  // Redis counted at least entry->b requests in that second: a request whose
  // limit is no higher would be refused too.
  return entry != nullptr && entry->a == second && static_cast<int64_t>(limit) <= entry->b;
}

bool RefusalCache::IsRateLimited(std::string_view token_hash, int64_t second, uint32_t limit) {
  if (limit == 0) return false;
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  return RateLimitedLocked(key, second, limit);
}

RefusalCache::Refusal RefusalCache::Check(std::string_view token_hash, int64_t now_ms,
                                          uint32_t limit) {
  const Key key = KeyOf(token_hash);
  std::lock_guard<std::mutex> lock(mu_);
  if (UnknownLocked(key, now_ms)) return Refusal::kUnknownToken;
  if (RateLimitedLocked(key, now_ms / 1000, limit)) return Refusal::kRateLimited;
  return Refusal::kNone;
}

std::size_t RefusalCache::UnknownSize() {
  std::lock_guard<std::mutex> lock(mu_);
  return unknown_.size();
}

std::size_t RefusalCache::KnownSize() {
  std::lock_guard<std::mutex> lock(mu_);
  return known_.size();
}

std::size_t RefusalCache::RateLimitedSize() {
  std::lock_guard<std::mutex> lock(mu_);
  return rate_limited_.size();
}

}  // namespace onep
