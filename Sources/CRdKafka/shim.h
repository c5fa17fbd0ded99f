// librdkafka, from Debian's librdkafka-dev, with its in-process mock cluster for tests and demos.
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
