// SPDX-License-Identifier: Apache-2.0
// Group commit: the events that concurrent threads of one process are ready
// to record share one write to Redis.
//
// The first thread to arrive sends what is queued then, its own event
// included, as one script call per slot, all in one write
// (EventStore::RecordBatches), while the
// threads that arrived with it wait for their own outcome; threads that
// arrive while a batch is on the wire queue for the next one, which the first
// of them sends as soon as the previous one is answered. No timer, no delay:
// a thread alone sends at once, as before.
//
// Each event gets exactly the outcome it would have had alone; the rules of
// EventStore::Record hold per event: the call carries a deadline, nothing is
// sent twice, and a call that fails (Redis gone, timed out, too few replicas
// with OnepRedisWait) fails exactly the events in it. A thread whose event
// has not been sent within the Redis timeout withdraws it (nothing was sent)
// and gets Unavailable. Once its event is in a batch being sent, a thread
// waits for that batch's answer with no deadline of its own: the sender's
// call is bounded by the sender's Redis timeout.
//
// Thread-safety: Record() may be called from any number of threads.
#ifndef ONEP_RECORD_BATCHER_H_
#define ONEP_RECORD_BATCHER_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>

#include "onep/event_store.h"
#include "onep/redis_client.h"

namespace onep {

class RecordBatcher {
 public:
  // At most `max_batch` events per write. `on_batch`, when given, is told
  // the size of every batch sent (for metrics), from the sending thread.
  explicit RecordBatcher(const EventStore& store, std::size_t max_batch = 64,
                         std::function<void(std::size_t)> on_batch = {})
      : store_(store), max_batch_(max_batch), on_batch_(std::move(on_batch)) {}
  RecordBatcher(const RecordBatcher&) = delete;
  RecordBatcher& operator=(const RecordBatcher&) = delete;

  // As EventStore::Record, with the concurrent callers' events in the same
  // write. A legacy token (no routing tag) is recorded alone.
  Result<RecordOutcome> Record(RedisClient& redis, const RecordRequest& request);

  // Events waiting for the batch on the wire to be answered.
  std::size_t Queued();

 private:
  struct Waiter {
    const RecordRequest* request;
    // The waiting thread's own condition variable (one per thread, so that it
    // outlives a notify sent after the lock is released): only the thread
    // concerned is woken, never the whole queue.
    std::condition_variable* wake;
    bool taken = false;  // in a batch being sent: it can no longer withdraw
    std::optional<Result<RecordOutcome>> outcome;
  };

  // Sends `batch` (taken from the queue), one call per slot and wait setting,
  // the calls together, and gives each waiter its outcome. Called without
  // the lock.
  void Send(RedisClient& redis, const std::vector<Waiter*>& batch);
  // Wakes each of `threads`; called without the lock.
  static void Wake(const std::vector<std::condition_variable*>& threads);

  const EventStore& store_;
  const std::size_t max_batch_;
  std::function<void(std::size_t)> on_batch_;
  std::mutex mu_;
  std::deque<Waiter*> queue_;  // guarded by mu_; waiters not yet taken
  bool sending_ = false;       // guarded by mu_: a batch is on the wire
};

}  // namespace onep

#endif  // ONEP_RECORD_BATCHER_H_
