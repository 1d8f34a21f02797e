package devices

import "errors"

// openVideoFile opens a .y4m file as a camera; a file that cannot be played
// is a *DeviceError matching ErrBadFile that says what would work.
func openVideoFile(path string) (*Y4MSource, error) {
	src, err := NewY4MSource(path)
	if err != nil {
		return nil, deviceError("open", KindCamera, path, ErrBadFile, err)
	}
	return src, nil
}

// openAudioFile opens a .wav file as a microphone, failing like openVideoFile.
func openAudioFile(path string) (*WAVSource, error) {
	src, err := NewWAVSource(path)
	if err != nil {
		return nil, deviceError("open", KindMicrophone, path, ErrBadFile, err)
	}
	return src, nil
}

// CheckMediaFiles opens and closes the files that are to stand in for the
// camera and the microphone (empty paths are skipped), so that a command
// can refuse a bad file when it starts instead of at the first call. The
// errors are those Open would report, each a *DeviceError matching
// ErrBadFile.
func CheckMediaFiles(videoFile, audioFile string) error {
	var errs []error
	if videoFile != "" {
		if src, err := openVideoFile(videoFile); err != nil {
			errs = append(errs, err)
		} else {
			src.Close()
		}
	}
	if audioFile != "" {
		if src, err := openAudioFile(audioFile); err != nil {
			errs = append(errs, err)
		} else {
			src.Close()
		}
	}
	return errors.Join(errs...)
}
