package testdb

import "os"

var getenv = os.Getenv
