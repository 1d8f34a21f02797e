package phone

// SetSpeaker chooses the speaker ("" for the system default) of the next
// calls; the call in progress switches with its media session's
// SwitchSpeaker. Safe from any goroutine.
func (p *Phone) SetSpeaker(id string) {
	p.mu.Lock()
	p.speakerID = id
	p.mu.Unlock()
}

func (p *Phone) speaker() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.speakerID
}
