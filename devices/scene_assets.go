package devices

import (
	"math/rand/v2"
	"sync"
	"weak"
)

// sceneAssets are the parts of a Scene that depend only on its size. They
// take tens of milliseconds to build, so Scenes of one size share them
// while any of them is alive (a bot opens a camera for every call).
// Immutable after construction.
type sceneAssets struct {
	bg       sceneTexture
	sprites  [3]sprite
	lumaNz   *noiseBank
	chromaNz *noiseBank
}

var sceneCache struct {
	mu sync.Mutex
	m  map[[2]int]weak.Pointer[sceneAssets] // guarded by mu
}

// sceneAssetsFor returns the assets of a width×height scene, building them
// if no live Scene has them. Safe for concurrent use.
func sceneAssetsFor(width, height int) *sceneAssets {
	key := [2]int{width, height}
	sceneCache.mu.Lock()
	defer sceneCache.mu.Unlock()
	if a := sceneCache.m[key].Value(); a != nil {
		return a
	}
	a := newSceneAssets(width, height)
	if sceneCache.m == nil {
		sceneCache.m = make(map[[2]int]weak.Pointer[sceneAssets])
	}
	sceneCache.m[key] = weak.Make(a)
	return a
}

func newSceneAssets(width, height int) *sceneAssets {
	mx, my := sceneMargins(width, height)
	rng := rand.New(rand.NewPCG(sceneSeed, uint64(width)<<32|uint64(height)))
	unit := min(width, height)
	return &sceneAssets{
		bg: newSceneTexture(width+2*mx, height+2*my, rng.Uint64()),
		sprites: [...]sprite{
			newSprite(rng, unit/6, unit/4, 150, 110, 150),   // a head
			newSprite(rng, unit/14, unit/12, 160, 112, 152), // a hand
			newSprite(rng, unit/16, unit/16, 90, 150, 100),  // a blue mug
		},
		lumaNz:   newNoiseBank(rng, width*height, 3, sceneLumaNoise),
		chromaNz: newNoiseBank(rng, width*height/4, 3, sceneChromaNoise),
	}
}
