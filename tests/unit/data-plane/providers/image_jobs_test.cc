// Replicate's and Runway's job translations (data-plane/providers/jobs/image_jobs.h).
#include "data-plane/providers/jobs/image_jobs.h"

#include <gtest/gtest.h>

namespace switchyard::dp {
namespace {

using Kind = ImageJobAdapter::Kind;

TEST(ImageJobs, RequestsBecomePredictionsAndTasks) {
  std::string path;
  EXPECT_EQ(*OpenAiToReplicate(R"({"model":"x","prompt":"a fox","n":2})", "bfl/flux", &path),
            R"({"input":{"prompt":"a fox","num_outputs":2}})");
  EXPECT_EQ(path, "/v1/models/bfl/flux/predictions");
  EXPECT_EQ(*OpenAiToReplicate(R"({"prompt":"a fox"})", "bfl/flux:abc123", &path),
            R"({"version":"abc123","input":{"prompt":"a fox"}})");
  EXPECT_EQ(path, "/v1/predictions");
  EXPECT_FALSE(OpenAiToReplicate(R"({"prompt":"a"})", "no-owner", &path).ok());
  EXPECT_FALSE(OpenAiToReplicate(R"({"prompt":"a","response_format":"b64_json"})", "o/m", &path).ok());
  EXPECT_EQ(*OpenAiToRunway(R"({"prompt":"a fox","size":"1024x1024"})", "gen4_image"),
            R"({"model":"gen4_image","promptText":"a fox","ratio":"1024:1024"})");
  EXPECT_FALSE(OpenAiToRunway(R"({"size":"1x1"})", "gen4_image").ok());
}

TEST(ImageJobs, JobStatesSayWhetherToPoll) {
  std::vector<std::string> urls;
  absl::StatusOr<PollStep> step =
      JobState(Kind::kReplicate, R"({"id":"p1","status":"processing"})", "/base", &urls);
  ASSERT_TRUE(step.ok());
  EXPECT_FALSE(step->done);
  EXPECT_EQ(step->target, "/base/v1/predictions/p1");
  step = JobState(Kind::kReplicate, R"({"id":"p1","status":"succeeded","output":["u1","u2"]})", "",
                  &urls);
  ASSERT_TRUE(step.ok());
  EXPECT_TRUE(step->done);
  EXPECT_EQ(urls, (std::vector<std::string>{"u1", "u2"}));
  EXPECT_FALSE(JobState(Kind::kReplicate, R"({"id":"p","status":"failed","error":"nsfw"})", "", &urls).ok());
  step = JobState(Kind::kRunway, R"({"id":"t1"})", "", &urls);
  ASSERT_TRUE(step.ok());
  EXPECT_EQ(step->target, "/v1/tasks/t1");
  EXPECT_FALSE(JobState(Kind::kRunway, R"({"id":"t1","status":"FAILED","failure":"x"})", "", &urls).ok());
}

}  // namespace
}  // namespace switchyard::dp
