#include "apm.h"

#include <webrtc/common.h>
#include <webrtc/modules/audio_processing/include/audio_processing.h>

#include <algorithm>
#include <vector>

struct duet_apm {
	webrtc::AudioProcessing *apm;
	webrtc::StreamConfig config;
	std::vector<float> buf;
};

static void to_float(const short *in, float *out, size_t n) {
	for (size_t i = 0; i < n; i++) out[i] = in[i] / 32768.0f;
}

static void to_short(const float *in, short *out, size_t n) {
	for (size_t i = 0; i < n; i++) {
		float v = std::max(-1.0f, std::min(1.0f, in[i])) * 32767.0f;
		out[i] = (short)(v < 0 ? v - 0.5f : v + 0.5f);
	}
}

extern "C" duet_apm *duet_apm_new(int rate, int aec, int ns, int agc, int hpf) {
	webrtc::Config cfg;
	// The echo path's delay is estimated from the signals: the delay a
	// sound server reports is not to be trusted.
	cfg.Set<webrtc::ExtendedFilter>(new webrtc::ExtendedFilter(true));
	cfg.Set<webrtc::DelayAgnostic>(new webrtc::DelayAgnostic(true));
	cfg.Set<webrtc::ExperimentalAgc>(new webrtc::ExperimentalAgc(false));
	webrtc::AudioProcessing *apm = webrtc::AudioProcessing::Create(cfg);
	if (!apm) return nullptr;
	webrtc::ProcessingConfig pc = {{
		webrtc::StreamConfig(rate, 1), webrtc::StreamConfig(rate, 1),
		webrtc::StreamConfig(rate, 1), webrtc::StreamConfig(rate, 1),
	}};
	// Moderate echo suppression, the library's default, sits between
	// PipeWire's high (on the rig the near end keeps only r 0.78 while
	// both talk) and low (r 0.93, but with a distorting speaker and no
	// noise to hide it the residual echo is 14 dB or more stronger).
	if (apm->Initialize(pc) != webrtc::AudioProcessing::kNoError ||
	    apm->high_pass_filter()->Enable(hpf != 0) != 0 ||
	    apm->echo_cancellation()->enable_drift_compensation(false) != 0 ||
	    apm->echo_cancellation()->set_suppression_level(webrtc::EchoCancellation::kModerateSuppression) != 0 ||
	    apm->echo_cancellation()->Enable(aec != 0) != 0 ||
	    apm->noise_suppression()->set_level(webrtc::NoiseSuppression::kHigh) != 0 ||
	    apm->noise_suppression()->Enable(ns != 0) != 0 ||
	    apm->gain_control()->set_mode(webrtc::GainControl::kAdaptiveDigital) != 0 ||
	    apm->gain_control()->set_target_level_dbfs(3) != 0 ||
	    apm->gain_control()->set_compression_gain_db(9) != 0 ||
	    apm->gain_control()->enable_limiter(true) != 0 ||
	    apm->gain_control()->Enable(agc != 0) != 0) {
		delete apm;
		return nullptr;
	}
	duet_apm *a = new duet_apm;
	a->apm = apm;
	a->config = webrtc::StreamConfig(rate, 1);
	a->buf.resize(a->config.num_frames());
	return a;
}

extern "C" void duet_apm_free(duet_apm *a) {
	if (!a) return;
	delete a->apm;
	delete a;
}

extern "C" int duet_apm_render(duet_apm *a, const short *frame) {
	float *ch = a->buf.data();
	to_float(frame, ch, a->buf.size());
	return a->apm->ProcessReverseStream(&ch, a->config, a->config, &ch);
}

extern "C" int duet_apm_capture(duet_apm *a, short *frame, int delay_ms) {
	float *ch = a->buf.data();
	to_float(frame, ch, a->buf.size());
	a->apm->set_stream_delay_ms(delay_ms);
	int err = a->apm->ProcessStream(&ch, a->config, a->config, &ch);
	if (err == 0) to_short(ch, frame, a->buf.size());
	return err;
}

extern "C" int duet_apm_has_echo(duet_apm *a) {
	return a->apm->echo_cancellation()->stream_has_echo() ? 1 : 0;
}
