#include "tests/support/test_pki.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

namespace switchyard::testing {
namespace {

void Run(const std::string& command) {
  const int code = std::system((command + " > /dev/null 2>&1").c_str());
  EXPECT_EQ(code, 0) << command;
}

}  // namespace

TestCert MakeTestCa(const std::string& dir, const std::string& name) {
  TestCert ca{dir + "/" + name + ".pem", dir + "/" + name + ".key"};
  Run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj '/CN=" +
      name + "' -keyout " + ca.key + " -out " + ca.cert);
  return ca;
}

TestCert MakeTestCert(const std::string& dir, const std::string& name, const TestCert& ca) {
  TestCert leaf{dir + "/" + name + ".pem", dir + "/" + name + ".key"};
  const std::string csr = dir + "/" + name + ".csr";
  const std::string extensions = dir + "/" + name + ".ext";
  std::ofstream(extensions) << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                               "extendedKeyUsage=serverAuth,clientAuth\n";
  Run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj '/CN=" + name +
      "' -keyout " + leaf.key + " -out " + csr);
  Run("openssl x509 -req -in " + csr + " -CA " + ca.cert + " -CAkey " + ca.key +
      " -CAcreateserial -days 2 -out " + leaf.cert + " -extfile " + extensions);
  return leaf;
}

}  // namespace switchyard::testing
