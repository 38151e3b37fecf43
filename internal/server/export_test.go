package server

// SetCachedTypeID rewrites the id of the cached issue type called name in
// every cached copy of project's metadata, as if the project had been
// reconfigured since it was read. It reports how many it changed.
func (s *Server) SetCachedTypeID(project, name, id string) int {
	m := s.meta
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, el := range m.idx {
		if k.project != project {
			continue
		}
		e := el.Value.(*metaEntry)
		for i := range e.types {
			if e.types[i].Name == name {
				e.types[i].ID = id
				n++
			}
		}
	}
	return n
}

// CachedProjects is how many (user, site, project) entries the cache holds.
func (s *Server) CachedProjects() int { return s.meta.len() }

// Classify is what a person is told about err: the status and message.
func Classify(err error) (int, string) {
	p := classify(err)
	return p.Status, p.Message
}
