// The C face of the WebRTC audio processing module (a C++ library).
#ifndef DUET_APM_H
#define DUET_APM_H

#ifdef __cplusplus
extern "C" {
#endif

typedef struct duet_apm duet_apm;

// duet_apm_new returns NULL when the module refuses the configuration.
duet_apm *duet_apm_new(int rate, int aec, int ns, int agc, int hpf);
void duet_apm_free(duet_apm *a);
// Both take 10 ms of mono audio (rate/100 samples). capture is
// processed in place; delay_ms is the time from rendering a far-end
// sample to capturing its echo, as far as the caller knows it.
int duet_apm_render(duet_apm *a, const short *frame);
int duet_apm_capture(duet_apm *a, short *frame, int delay_ms);
// duet_apm_has_echo: the last capture frame may have held echo.
int duet_apm_has_echo(duet_apm *a);

#ifdef __cplusplus
}
#endif
#endif
