package server

// SetDBPageLimit makes the server built from cfg cap its database at limit()
// pages on every write, so a test can fill the "disk" (writes fail with
// SQLITE_FULL) and free it again by raising the limit.
func SetDBPageLimit(cfg *Config, limit func() int64) { cfg.dbPageLimit = limit }
