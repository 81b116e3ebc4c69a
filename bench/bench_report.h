// What every benchmark in bench/ reports with: the machine line, today's date, and the
// replacement of its own section (between <!-- name:begin --> and <!-- name:end -->) in
// bench/RESULTS.md.
#ifndef SWITCHYARD_BENCH_BENCH_REPORT_H_
#define SWITCHYARD_BENCH_BENCH_REPORT_H_

#include <sys/utsname.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace switchyard::bench {

inline std::string Machine() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line, model = "unknown CPU";
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname name{};
  uname(&name);
  return model + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " +
         name.sysname + " " + name.release;
}

inline std::string Today() {
  std::time_t now = std::time(nullptr);
  char date[32];
  std::strftime(date, sizeof(date), "%Y-%m-%d", std::gmtime(&now));
  return date;
}

// The p-quantile (0..1) of `values`.
inline double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const size_t index =
      std::min(values.size() - 1, static_cast<size_t>(p * static_cast<double>(values.size())));
  return values[index];
}

// Replaces (or appends) the section `name` of the results file with `section`, which must
// start with "<!-- name:begin -->" and end with "<!-- name:end -->\n".
inline void WriteSection(const std::string& results, const std::string& name,
                         const std::string& section) {
  std::string existing;
  {
    std::ifstream in(results);
    std::stringstream buffer;
    buffer << in.rdbuf();
    existing = buffer.str();
  }
  const std::string begin_marker = "<!-- " + name + ":begin -->";
  const std::string end_marker = "<!-- " + name + ":end -->\n";
  const size_t begin = existing.find(begin_marker);
  const size_t end = existing.find(end_marker);
  if (begin != std::string::npos && end != std::string::npos) {
    existing.replace(begin, end + end_marker.size() - begin, section);
  } else {
    existing += "\n" + section;
  }
  std::ofstream(results) << existing;
}

}  // namespace switchyard::bench

#endif  // SWITCHYARD_BENCH_BENCH_REPORT_H_
