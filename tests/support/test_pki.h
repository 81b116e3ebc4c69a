// Test certificates made with the openssl command line: CAs and leaf certificates (server and
// client usage, subjectAltName IP:127.0.0.1 and DNS:localhost), for the TLS tests.
#ifndef SWITCHYARD_TESTS_SUPPORT_TEST_PKI_H_
#define SWITCHYARD_TESTS_SUPPORT_TEST_PKI_H_

#include <string>

namespace switchyard::testing {

struct TestCert {
  std::string cert;  // PEM file
  std::string key;   // PEM file
};

// A self-signed CA in `dir` named `name` (name.pem, name.key).
TestCert MakeTestCa(const std::string& dir, const std::string& name);
// A leaf certificate signed by `ca` (name.pem, name.key in `dir`).
TestCert MakeTestCert(const std::string& dir, const std::string& name, const TestCert& ca);

}  // namespace switchyard::testing

#endif  // SWITCHYARD_TESTS_SUPPORT_TEST_PKI_H_
