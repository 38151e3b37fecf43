package emulator

import (
	"sync"
	"sync/atomic"
)

// counter counts requests by operation. Registered routes get a cell up
// front so the hot path is one atomic add; other keys go through the map.
type counter struct {
	mu    sync.RWMutex
	cells map[string]*counterCell
}

type counterCell struct{ n atomic.Int64 }

func (c *counter) cell(key string) *counterCell {
	c.mu.RLock()
	cell := c.cells[key]
	c.mu.RUnlock()
	if cell != nil {
		return cell
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cells == nil {
		c.cells = map[string]*counterCell{}
	}
	if cell = c.cells[key]; cell == nil {
		cell = &counterCell{}
		c.cells[key] = cell
	}
	return cell
}

func (c *counter) add(key string) { c.cell(key).n.Add(1) }

func (c *counter) snapshot() map[string]int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	out := map[string]int{}
	for k, cell := range c.cells {
		if n := cell.n.Load(); n > 0 {
			out[k] = int(n)
		}
	}
	return out
}

func (c *counter) reset() {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, cell := range c.cells {
		cell.n.Store(0)
	}
}
