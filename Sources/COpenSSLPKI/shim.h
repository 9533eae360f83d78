// Public-key parts of the system OpenSSL (RSA keys, X.509 certificates, PEM) for the app's
// ID-token verification; apart from COpenSSL so the digest-only modules do not rebuild with it.
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/bio.h>
