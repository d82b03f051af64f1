// The system OpenSSL (libssl-dev) for relay-bench's TLS children and sink: blocking and poll(2)
// driven sockets fit OpenSSL's fd API, and OpenSSL 3 is what Netdata children link.
#include <openssl/ssl.h>
#include <openssl/err.h>
