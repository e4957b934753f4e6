#include "onep/record_batcher.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <string>

namespace onep {

Result<RecordOutcome> RecordBatcher::Record(RedisClient& redis, const RecordRequest& request) {
  if (request.routing_tag.empty()) return store_.Record(redis, request);
  Waiter self{&request, false, std::nullopt};
  std::unique_lock<std::mutex> lock(mu_);
  queue_.push_back(&self);
  const auto give_up = std::chrono::steady_clock::now() + redis.timeout();
  while (!self.outcome && (sending_ || queue_.front() != &self)) {
    if (done_.wait_until(lock, give_up) == std::cv_status::timeout && !self.outcome &&
        !self.taken) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), &self));
      return Status::Unavailable("no Redis write for this event within " +
                                 std::to_string(redis.timeout().count()) +
                                 "ms (the writes before it took that long); nothing was sent");
    }
  }
  if (self.outcome) return std::move(*self.outcome);

  // This thread sends the queue's head: its own event first.
  sending_ = true;
  std::vector<Waiter*> batch;
  while (!queue_.empty() && batch.size() < max_batch_) {
    queue_.front()->taken = true;
    batch.push_back(queue_.front());
    queue_.pop_front();
  }
  lock.unlock();
  Send(redis, batch);
  lock.lock();
  sending_ = false;
  done_.notify_all();
  return std::move(*self.outcome);
}

std::size_t RecordBatcher::Queued() {
  std::lock_guard<std::mutex> lock(mu_);
  return queue_.size();
}

void RecordBatcher::Send(RedisClient& redis, const std::vector<Waiter*>& batch) {
  // One call per slot and wait setting, in the order of the first arrival.
  std::vector<std::vector<Waiter*>> groups;
  for (Waiter* w : batch) {
    auto same = [w](const std::vector<Waiter*>& g) {
      const RecordRequest& a = *g.front()->request;
      const RecordRequest& b = *w->request;
      return a.routing_tag == b.routing_tag && a.wait_replicas == b.wait_replicas &&
             a.wait_timeout_ms == b.wait_timeout_ms;
    };
    auto group = std::find_if(groups.begin(), groups.end(), same);
    if (group == groups.end()) {
      groups.push_back({w});
    } else {
      group->push_back(w);
    }
  }
  for (const auto& group : groups) {
    std::vector<Result<RecordOutcome>> outcomes;
    try {
      std::vector<const RecordRequest*> requests;
      for (Waiter* w : group) requests.push_back(w->request);
      if (on_batch_) on_batch_(requests.size());
      outcomes = store_.RecordBatch(redis, requests);
    } catch (const std::exception& e) {
      outcomes.assign(group.size(), Status::Internal(std::string("recording failed: ") + e.what()));
    }
    // Written under the lock: a waiter reads its outcome under it.
    std::lock_guard<std::mutex> lock(mu_);
    for (std::size_t i = 0; i < group.size(); ++i) group[i]->outcome = std::move(outcomes[i]);
    done_.notify_all();
  }
}

}  // namespace onep
