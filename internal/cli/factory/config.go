package factory

import (
	"slices"
	"sync"

	"github.com/ticket-mate/tm/internal/config"
)

// configCache remembers the last load, so that asking twice in one run
// costs nothing.
type configCache struct {
	mu    sync.Mutex
	flags []config.Flag
	file  string
	cfg   *config.Config
	err   error
	done  bool
}

// Config loads the configuration from the factory's world: the command's
// flag overrides (a Flag with an empty Value is ignored, so unset flags can
// be passed as they are), the root's --config and --debug, LookupEnv, the
// files in WorkDir or the nearest parent holding any, up to the repository
// root (config.FindProjectDir), and ConfigDir/config.json. It loads on first use and
// again only when called with different flags. A load error is a
// *config.LoadError, which unwraps to an ECONFIG *tm.Error.
//
//	cfg, err := opts.Factory.Config(config.Flag{Name: "project", Key: config.KeyProjectKey, Value: opts.Project})
func (f *Factory) Config(flags ...config.Flag) (*config.Config, error) {
	set := slices.DeleteFunc(slices.Clone(flags), func(fl config.Flag) bool { return fl.Value == "" })
	if f.Debug {
		set = append(set, config.Flag{Name: "debug", Key: config.KeyDebug, Value: "true"})
	}
	if f.Timeout != "" {
		set = append(set, config.Flag{Name: "timeout", Key: config.KeyTimeout, Value: f.Timeout})
	}
	c := &f.cfg
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done && slices.Equal(c.flags, set) && c.file == f.ConfigFile {
		return c.cfg, c.err
	}
	dir, nearest := config.FindProjectDir(f.WorkDir)
	c.cfg, c.err = config.Load(config.Sources{
		WorkDir:    f.WorkDir,
		ProjectDir: dir,
		Nearest:    nearest,
		ConfigDir:  f.ConfigDir,
		LookupEnv:  f.LookupEnv,
		ConfigFile: f.ConfigFile,
		Flags:      set,
	})
	c.flags, c.file, c.done = set, f.ConfigFile, true
	return c.cfg, c.err
}
