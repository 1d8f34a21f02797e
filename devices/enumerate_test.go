package devices

import "testing"

func TestList(t *testing.T) {
	inv, err := List()
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	t.Logf("cameras %v microphones %v speakers %v", inv.Cameras, inv.Microphones, inv.Speakers)
	for kind, ds := range map[Kind][]Device{KindCamera: inv.Cameras, KindMicrophone: inv.Microphones, KindSpeaker: inv.Speakers} {
		if ds == nil {
			t.Errorf("%v list is nil, want empty", kind)
		}
		for i, d := range ds {
			if d.ID == "" || d.Label == "" || d.Kind != kind || d.ID == alsaNullID {
				t.Errorf("%v %d: %+v", kind, i, d)
			}
			if i > 0 && d.Default && !ds[i-1].Default {
				t.Errorf("%v: default device %q not first", kind, d.Label)
			}
		}
	}
}
