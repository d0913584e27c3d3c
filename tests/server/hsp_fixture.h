#pragma once
// The home serving proxy's end-to-end fixture: a real parleyd (in process,
// port 0) with users in its SQLite store, driven by raw SIP over UDP and
// TCP. One definition for the files of hsp_test.

#include "server_fixture.h"

namespace parley::server {

class Hsp : public ServerFixture {};

}  // namespace parley::server
